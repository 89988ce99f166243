/**
 * The bundled book: Herman Melville's *Moby-Dick*, 1,190,317 characters (data/README.md),
 * imported as a text module so that it needs no permission to read, in a terminal or a page.
 * Kept apart from `text_corpus.ts` so that only what trains on the book loads it.
 *
 * @module
 */

import book from "../data/moby_dick.txt" with { type: "text" };

/** The whole novel, as one continuous text. */
export const mobyDick: string = book;
