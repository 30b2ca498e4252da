// einsum: subscripts parsed at the type level; the output shapes and the messages users read.
import type { Einsum, ErrorMessage } from "./index.js";
import type { Equal, Expect } from "./mock-ops.test-d.js";

export type EinsumShapes = [
  Expect<Equal<Einsum<"ij,jk->ik", [[2, 3], [3, 4]]>, [2, 4]>>,
  Expect<Equal<Einsum<"bij,bjk->bik", [["batch", 3, 4], ["batch", 4, 5]]>, ["batch", 3, 5]>>,
  Expect<Equal<Einsum<"ij,jk", [[2, 3], [3, 4]]>, [2, 4]>>, // implicit: letters named once, alphabetically
  Expect<Equal<Einsum<"ba", [[2, 3]]>, [3, 2]>>, // implicit output is sorted: a transpose
  Expect<Equal<Einsum<"ij->ji", [[2, 3]]>, [3, 2]>>,
  Expect<Equal<Einsum<"ij->", [[2, 3]]>, []>>,
  Expect<Equal<Einsum<"ii->i", [[3, 3]]>, [3]>>, // diagonal
  Expect<Equal<Einsum<"ii", [[3, 3]]>, []>>, // trace
  Expect<Equal<Einsum<"i,j->ij", [[2], [5]]>, [2, 5]>>, // outer product
  Expect<Equal<Einsum<"bi,bi->b", [["batch", 8], ["batch", 8]]>, ["batch"]>>,
  Expect<Equal<Einsum<"bhqd,bhkd->bhqk", [["b", 4, "q", 16], ["b", 4, "k", 16]]>, ["b", 4, "q", "k"]>>,
  Expect<Equal<Einsum<"ij,jk,kl->il", [[2, 3], [3, 4], [4, 5]]>, [2, 5]>>,
  Expect<Equal<Einsum<"...ij,...jk->...ik", [[7, 2, 3], [3, 4]]>, [7, 2, 4]>>, // ellipsis broadcasts
  Expect<Equal<Einsum<"...ij,...jk", [[7, 1, 2, 3], [5, 3, 4]]>, [7, 5, 2, 4]>>,
  Expect<Equal<Einsum<"...i,...i->...", [["batch", 8], ["batch", 8]]>, ["batch"]>>,
  Expect<Equal<Einsum<"Ab,bC->AC", [[2, 3], [3, 4]]>, [2, 4]>>,
  Expect<Equal<Einsum<"ij,jk->ik", [["n", "k"], [3, 4]]>, ["n", 4]>>, // a symbolic dim binds to a literal
  Expect<Equal<Einsum<"ij,jk->ik", [[2, number], [3, 4]]>, [2, 4]>>,
  Expect<Equal<Einsum<string, [[2, 3]]>, (string | number)[]>>, // a subscript string not known: rank unknown
];

export type EinsumErrors = [
  Expect<
    Equal<ErrorMessage<Einsum<"bij,bjk->bik", [[2, 3, 5], [2, 6, 4]]>>, 'einsum "bij,bjk->bik": j is 5 in operand 0 but 6 in operand 1'>
  >,
  Expect<Equal<ErrorMessage<Einsum<"ii", [[3, 4]]>>, 'einsum "ii": i is 3 in operand 0 but 4 in operand 0'>>,
  Expect<Equal<ErrorMessage<Einsum<"ij,jk->ik", [[2, 3]]>>, 'einsum "ij,jk->ik": expects 2 operands, got 1'>>,
  Expect<
    Equal<
      ErrorMessage<Einsum<"ij,jk->ik", [[2, 3], [3, 4, 5]]>>,
      'einsum "ij,jk->ik": operand 1 has rank 3 ([3, 4, 5]) but "jk" names 2 dims'
    >
  >,
  Expect<
    Equal<ErrorMessage<Einsum<"...ij->ij", [[3]]>>, 'einsum "...ij->ij": operand 0 has rank 1 ([3]) but "...ij" names at least 2 dims'>
  >,
  Expect<Equal<ErrorMessage<Einsum<"ij->ik", [[2, 3]]>>, 'einsum "ij->ik": output letter k is not in the inputs'>>,
  Expect<Equal<ErrorMessage<Einsum<"ij->ii", [[2, 3]]>>, 'einsum "ij->ii": output letter i appears twice'>>,
  Expect<
    Equal<ErrorMessage<Einsum<"i j->ij", [[2, 3]]>>, 'einsum "i j->ij": invalid character " " (subscripts are letters, "," "->" and "...")'>
  >,
  Expect<
    Equal<
      ErrorMessage<Einsum<"ij->i->j", [[2, 3]]>>,
      'einsum "ij->i->j": invalid character "-" (subscripts are letters, "," "->" and "...")'
    >
  >,
  Expect<Equal<ErrorMessage<Einsum<"...i...->i", [[2, 3]]>>, 'einsum "...i...->i": "..." appears twice in "...i..."'>>,
  Expect<Equal<ErrorMessage<Einsum<"...i,...i", [[2, 3], [4, 3]]>>, 'einsum "...i,...i": the dims under "..." do not broadcast (2 vs 4)'>>,
];
