/// <reference lib="dom" />
/**
 * The guided tour: eight stops through the panels in the chapters' order, from the tokenizer
 * (step 02) to generation (step 08). A first visit starts it; "Skip the tour" or the last
 * "Done" remembers that it was seen, and "Take the tour" in the header starts it again.
 *
 * @module
 */

/** One stop: the panel it points at and what to say there. */
interface Stop {
  panel: string;
  title: string;
  text: string;
}

/** The stops, in the chapters' order. */
export const stops: readonly Stop[] = [
  {
    panel: "setup-panel",
    title: "Step 02: the data and its tokens",
    text: "Choose a dataset. Every character that occurs gets a token id, plus BOS for the " +
      "start and end of a name. Press Train to run the tutorial's 1,000 steps.",
  },
  {
    panel: "embeddings-panel",
    title: "Step 04: embeddings",
    text: "Each token is a row of numbers, wte. Here they are in two dimensions: watch vowels " +
      "part from consonants as the model trains.",
  },
  {
    panel: "attention-panel",
    title: "Step 05: attention",
    text: "Each head decides which earlier letters to read at every position. Type a name to " +
      "see all four heads, numbered from 0.",
  },
  {
    panel: "next-panel",
    title: "Step 06: the whole model",
    text: "A prefix goes in, a probability for every next letter comes out. Type one.",
  },
  {
    panel: "training-panel",
    title: "Step 07: training",
    text: "The loss falls from ln 27 = 3.30, a uniform guess, as Adam adjusts the weights; the " +
      "green dots are names it never trains on.",
  },
  {
    panel: "microscope-panel",
    title: "Step 07: one step, taken apart",
    text: "Press Forward to walk through one step: the prediction at every position, the " +
      "gradient of every matrix, the update.",
  },
  {
    panel: "samples-panel",
    title: "Step 08: sampling",
    text: "The trained model writes names. Slide the temperature to make them safer or wilder.",
  },
  {
    panel: "draw-panel",
    title: "Step 08: letter by letter",
    text: "Draw one letter at a time and see the distribution each is drawn from. That is the " +
      "whole tour: Done closes it, and the link at the top brings it back.",
  },
];

const $ = (id: string) => document.getElementById(id) as HTMLElement;
let at = 0;
const seenKey = "microgpt-toured";

/** Whether this browser has seen the tour (finished or skipped it). */
export function tourSeen(): boolean {
  try {
    return localStorage.getItem(seenKey) !== null;
  } catch {
    return false;
  }
}

/**
 * Wires the tour's buttons (once, from the page) and returns the function that starts it.
 *
 * @returns `start`, which opens the tour at its first stop
 */
export function installTour(): () => void {
  $("tour-next").addEventListener("click", () => {
    if (at === stops.length - 1) return end();
    at++;
    show();
  });
  $("tour-back").addEventListener("click", () => {
    at = Math.max(0, at - 1);
    show();
  });
  $("tour-skip").addEventListener("click", end);
  return () => {
    at = 0;
    $("tour").hidden = false;
    show();
  };
}

function show(): void {
  const stop = stops[at];
  for (const panel of document.querySelectorAll(".touring")) panel.classList.remove("touring");
  const panel = $(stop.panel);
  panel.classList.add("touring");
  panel.scrollIntoView?.({ block: "start", behavior: "smooth" });
  $("tour-count").textContent = `stop ${at + 1} of ${stops.length}`;
  $("tour-title").textContent = stop.title;
  $("tour-text").textContent = stop.text;
  ($("tour-back") as HTMLButtonElement).disabled = at === 0;
  $("tour-next").textContent = at === stops.length - 1 ? "Done" : "Next";
}

/** Closes the tour and remembers that it was seen. */
function end(): void {
  $("tour").hidden = true;
  for (const panel of document.querySelectorAll(".touring")) panel.classList.remove("touring");
  try {
    localStorage.setItem(seenKey, "1");
  } catch {
    // Storage may be blocked (site data turned off): the tour then opens on every visit.
  }
}
