// Dim arithmetic, exact for non-negative integers up to 2^53.
//
// NOTE: numbers become decimal digit strings and are added, subtracted, multiplied and
// divided digit by digit with 10x10 lookup tables, in tail-recursive conditional types.
// Cost grows with the number of digits (at most 16), not with the value: tuple-length
// arithmetic caps at 10,000 and hits "excessively deep" near 1,000 recursion steps.
// The general Add/Sub/Mul work on *reversed* digit strings (least significant digit
// first), because template literals peel one character at a time off the front; a
// one-digit right operand instead peels the last digit off the end (see below).
import type { Dim, Shape } from "./shape.js";

type Digit = "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9";
type Bit = "0" | "1";

// AddTable[carry][a][b] = `${carryOut}${digit}` of a + b + carry.
type AddTable = [
  [
    ["00", "01", "02", "03", "04", "05", "06", "07", "08", "09"],
    ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"],
    ["02", "03", "04", "05", "06", "07", "08", "09", "10", "11"],
    ["03", "04", "05", "06", "07", "08", "09", "10", "11", "12"],
    ["04", "05", "06", "07", "08", "09", "10", "11", "12", "13"],
    ["05", "06", "07", "08", "09", "10", "11", "12", "13", "14"],
    ["06", "07", "08", "09", "10", "11", "12", "13", "14", "15"],
    ["07", "08", "09", "10", "11", "12", "13", "14", "15", "16"],
    ["08", "09", "10", "11", "12", "13", "14", "15", "16", "17"],
    ["09", "10", "11", "12", "13", "14", "15", "16", "17", "18"],
  ],
  [
    ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10"],
    ["02", "03", "04", "05", "06", "07", "08", "09", "10", "11"],
    ["03", "04", "05", "06", "07", "08", "09", "10", "11", "12"],
    ["04", "05", "06", "07", "08", "09", "10", "11", "12", "13"],
    ["05", "06", "07", "08", "09", "10", "11", "12", "13", "14"],
    ["06", "07", "08", "09", "10", "11", "12", "13", "14", "15"],
    ["07", "08", "09", "10", "11", "12", "13", "14", "15", "16"],
    ["08", "09", "10", "11", "12", "13", "14", "15", "16", "17"],
    ["09", "10", "11", "12", "13", "14", "15", "16", "17", "18"],
    ["10", "11", "12", "13", "14", "15", "16", "17", "18", "19"],
  ],
];
// SubTable[borrow][a][b] = `${borrowOut}${digit}` of a - b - borrow.
type SubTable = [
  [
    ["00", "19", "18", "17", "16", "15", "14", "13", "12", "11"],
    ["01", "00", "19", "18", "17", "16", "15", "14", "13", "12"],
    ["02", "01", "00", "19", "18", "17", "16", "15", "14", "13"],
    ["03", "02", "01", "00", "19", "18", "17", "16", "15", "14"],
    ["04", "03", "02", "01", "00", "19", "18", "17", "16", "15"],
    ["05", "04", "03", "02", "01", "00", "19", "18", "17", "16"],
    ["06", "05", "04", "03", "02", "01", "00", "19", "18", "17"],
    ["07", "06", "05", "04", "03", "02", "01", "00", "19", "18"],
    ["08", "07", "06", "05", "04", "03", "02", "01", "00", "19"],
    ["09", "08", "07", "06", "05", "04", "03", "02", "01", "00"],
  ],
  [
    ["19", "18", "17", "16", "15", "14", "13", "12", "11", "10"],
    ["00", "19", "18", "17", "16", "15", "14", "13", "12", "11"],
    ["01", "00", "19", "18", "17", "16", "15", "14", "13", "12"],
    ["02", "01", "00", "19", "18", "17", "16", "15", "14", "13"],
    ["03", "02", "01", "00", "19", "18", "17", "16", "15", "14"],
    ["04", "03", "02", "01", "00", "19", "18", "17", "16", "15"],
    ["05", "04", "03", "02", "01", "00", "19", "18", "17", "16"],
    ["06", "05", "04", "03", "02", "01", "00", "19", "18", "17"],
    ["07", "06", "05", "04", "03", "02", "01", "00", "19", "18"],
    ["08", "07", "06", "05", "04", "03", "02", "01", "00", "19"],
  ],
];
// MulTable[a][b] = `${tens}${units}` of a * b.
type MulTable = [
  ["00", "00", "00", "00", "00", "00", "00", "00", "00", "00"],
  ["00", "01", "02", "03", "04", "05", "06", "07", "08", "09"],
  ["00", "02", "04", "06", "08", "10", "12", "14", "16", "18"],
  ["00", "03", "06", "09", "12", "15", "18", "21", "24", "27"],
  ["00", "04", "08", "12", "16", "20", "24", "28", "32", "36"],
  ["00", "05", "10", "15", "20", "25", "30", "35", "40", "45"],
  ["00", "06", "12", "18", "24", "30", "36", "42", "48", "54"],
  ["00", "07", "14", "21", "28", "35", "42", "49", "56", "63"],
  ["00", "08", "16", "24", "32", "40", "48", "56", "64", "72"],
  ["00", "09", "18", "27", "36", "45", "54", "63", "72", "81"],
];
// SmallerDigits[d] = the digits below d; NextDigit / PreviousDigit step by one.
type SmallerDigits = [
  "",
  "0",
  "0" | "1",
  "0" | "1" | "2",
  "0" | "1" | "2" | "3",
  "0" | "1" | "2" | "3" | "4",
  "0" | "1" | "2" | "3" | "4" | "5",
  "0" | "1" | "2" | "3" | "4" | "5" | "6",
  "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7",
  "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8",
];
type NextDigit = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
type PreviousDigit = ["-1", "0", "1", "2", "3", "4", "5", "6", "7", "8"];
// DivTable[`${d}${r}${x}`] = `${quotient}${remainder}` of (10 * r + x) / d, for d in 2..9 and r < d:
// one step of long division by a one-digit divisor (strides and pool windows).
type DivTable = {
  "200": "00";
  "201": "01";
  "202": "10";
  "203": "11";
  "204": "20";
  "205": "21";
  "206": "30";
  "207": "31";
  "208": "40";
  "209": "41";
  "210": "50";
  "211": "51";
  "212": "60";
  "213": "61";
  "214": "70";
  "215": "71";
  "216": "80";
  "217": "81";
  "218": "90";
  "219": "91";
  "300": "00";
  "301": "01";
  "302": "02";
  "303": "10";
  "304": "11";
  "305": "12";
  "306": "20";
  "307": "21";
  "308": "22";
  "309": "30";
  "310": "31";
  "311": "32";
  "312": "40";
  "313": "41";
  "314": "42";
  "315": "50";
  "316": "51";
  "317": "52";
  "318": "60";
  "319": "61";
  "320": "62";
  "321": "70";
  "322": "71";
  "323": "72";
  "324": "80";
  "325": "81";
  "326": "82";
  "327": "90";
  "328": "91";
  "329": "92";
  "400": "00";
  "401": "01";
  "402": "02";
  "403": "03";
  "404": "10";
  "405": "11";
  "406": "12";
  "407": "13";
  "408": "20";
  "409": "21";
  "410": "22";
  "411": "23";
  "412": "30";
  "413": "31";
  "414": "32";
  "415": "33";
  "416": "40";
  "417": "41";
  "418": "42";
  "419": "43";
  "420": "50";
  "421": "51";
  "422": "52";
  "423": "53";
  "424": "60";
  "425": "61";
  "426": "62";
  "427": "63";
  "428": "70";
  "429": "71";
  "430": "72";
  "431": "73";
  "432": "80";
  "433": "81";
  "434": "82";
  "435": "83";
  "436": "90";
  "437": "91";
  "438": "92";
  "439": "93";
  "500": "00";
  "501": "01";
  "502": "02";
  "503": "03";
  "504": "04";
  "505": "10";
  "506": "11";
  "507": "12";
  "508": "13";
  "509": "14";
  "510": "20";
  "511": "21";
  "512": "22";
  "513": "23";
  "514": "24";
  "515": "30";
  "516": "31";
  "517": "32";
  "518": "33";
  "519": "34";
  "520": "40";
  "521": "41";
  "522": "42";
  "523": "43";
  "524": "44";
  "525": "50";
  "526": "51";
  "527": "52";
  "528": "53";
  "529": "54";
  "530": "60";
  "531": "61";
  "532": "62";
  "533": "63";
  "534": "64";
  "535": "70";
  "536": "71";
  "537": "72";
  "538": "73";
  "539": "74";
  "540": "80";
  "541": "81";
  "542": "82";
  "543": "83";
  "544": "84";
  "545": "90";
  "546": "91";
  "547": "92";
  "548": "93";
  "549": "94";
  "600": "00";
  "601": "01";
  "602": "02";
  "603": "03";
  "604": "04";
  "605": "05";
  "606": "10";
  "607": "11";
  "608": "12";
  "609": "13";
  "610": "14";
  "611": "15";
  "612": "20";
  "613": "21";
  "614": "22";
  "615": "23";
  "616": "24";
  "617": "25";
  "618": "30";
  "619": "31";
  "620": "32";
  "621": "33";
  "622": "34";
  "623": "35";
  "624": "40";
  "625": "41";
  "626": "42";
  "627": "43";
  "628": "44";
  "629": "45";
  "630": "50";
  "631": "51";
  "632": "52";
  "633": "53";
  "634": "54";
  "635": "55";
  "636": "60";
  "637": "61";
  "638": "62";
  "639": "63";
  "640": "64";
  "641": "65";
  "642": "70";
  "643": "71";
  "644": "72";
  "645": "73";
  "646": "74";
  "647": "75";
  "648": "80";
  "649": "81";
  "650": "82";
  "651": "83";
  "652": "84";
  "653": "85";
  "654": "90";
  "655": "91";
  "656": "92";
  "657": "93";
  "658": "94";
  "659": "95";
  "700": "00";
  "701": "01";
  "702": "02";
  "703": "03";
  "704": "04";
  "705": "05";
  "706": "06";
  "707": "10";
  "708": "11";
  "709": "12";
  "710": "13";
  "711": "14";
  "712": "15";
  "713": "16";
  "714": "20";
  "715": "21";
  "716": "22";
  "717": "23";
  "718": "24";
  "719": "25";
  "720": "26";
  "721": "30";
  "722": "31";
  "723": "32";
  "724": "33";
  "725": "34";
  "726": "35";
  "727": "36";
  "728": "40";
  "729": "41";
  "730": "42";
  "731": "43";
  "732": "44";
  "733": "45";
  "734": "46";
  "735": "50";
  "736": "51";
  "737": "52";
  "738": "53";
  "739": "54";
  "740": "55";
  "741": "56";
  "742": "60";
  "743": "61";
  "744": "62";
  "745": "63";
  "746": "64";
  "747": "65";
  "748": "66";
  "749": "70";
  "750": "71";
  "751": "72";
  "752": "73";
  "753": "74";
  "754": "75";
  "755": "76";
  "756": "80";
  "757": "81";
  "758": "82";
  "759": "83";
  "760": "84";
  "761": "85";
  "762": "86";
  "763": "90";
  "764": "91";
  "765": "92";
  "766": "93";
  "767": "94";
  "768": "95";
  "769": "96";
  "800": "00";
  "801": "01";
  "802": "02";
  "803": "03";
  "804": "04";
  "805": "05";
  "806": "06";
  "807": "07";
  "808": "10";
  "809": "11";
  "810": "12";
  "811": "13";
  "812": "14";
  "813": "15";
  "814": "16";
  "815": "17";
  "816": "20";
  "817": "21";
  "818": "22";
  "819": "23";
  "820": "24";
  "821": "25";
  "822": "26";
  "823": "27";
  "824": "30";
  "825": "31";
  "826": "32";
  "827": "33";
  "828": "34";
  "829": "35";
  "830": "36";
  "831": "37";
  "832": "40";
  "833": "41";
  "834": "42";
  "835": "43";
  "836": "44";
  "837": "45";
  "838": "46";
  "839": "47";
  "840": "50";
  "841": "51";
  "842": "52";
  "843": "53";
  "844": "54";
  "845": "55";
  "846": "56";
  "847": "57";
  "848": "60";
  "849": "61";
  "850": "62";
  "851": "63";
  "852": "64";
  "853": "65";
  "854": "66";
  "855": "67";
  "856": "70";
  "857": "71";
  "858": "72";
  "859": "73";
  "860": "74";
  "861": "75";
  "862": "76";
  "863": "77";
  "864": "80";
  "865": "81";
  "866": "82";
  "867": "83";
  "868": "84";
  "869": "85";
  "870": "86";
  "871": "87";
  "872": "90";
  "873": "91";
  "874": "92";
  "875": "93";
  "876": "94";
  "877": "95";
  "878": "96";
  "879": "97";
  "900": "00";
  "901": "01";
  "902": "02";
  "903": "03";
  "904": "04";
  "905": "05";
  "906": "06";
  "907": "07";
  "908": "08";
  "909": "10";
  "910": "11";
  "911": "12";
  "912": "13";
  "913": "14";
  "914": "15";
  "915": "16";
  "916": "17";
  "917": "18";
  "918": "20";
  "919": "21";
  "920": "22";
  "921": "23";
  "922": "24";
  "923": "25";
  "924": "26";
  "925": "27";
  "926": "28";
  "927": "30";
  "928": "31";
  "929": "32";
  "930": "33";
  "931": "34";
  "932": "35";
  "933": "36";
  "934": "37";
  "935": "38";
  "936": "40";
  "937": "41";
  "938": "42";
  "939": "43";
  "940": "44";
  "941": "45";
  "942": "46";
  "943": "47";
  "944": "48";
  "945": "50";
  "946": "51";
  "947": "52";
  "948": "53";
  "949": "54";
  "950": "55";
  "951": "56";
  "952": "57";
  "953": "58";
  "954": "60";
  "955": "61";
  "956": "62";
  "957": "63";
  "958": "64";
  "959": "65";
  "960": "66";
  "961": "67";
  "962": "68";
  "963": "70";
  "964": "71";
  "965": "72";
  "966": "73";
  "967": "74";
  "968": "75";
  "969": "76";
  "970": "77";
  "971": "78";
  "972": "80";
  "973": "81";
  "974": "82";
  "975": "83";
  "976": "84";
  "977": "85";
  "978": "86";
  "979": "87";
  "980": "88";
  "981": "90";
  "982": "91";
  "983": "92";
  "984": "93";
  "985": "94";
  "986": "95";
  "987": "96";
  "988": "97";
  "989": "98";
};

// ---- digit strings ----
// NOTE: helper parameters are deliberately unconstrained (string-ness comes from the
// `infer x extends ...` patterns), and a conditional result never sits directly in a
// template literal or a constrained argument: tsc would relate it to the constraint by
// instantiating the whole recursion, which cost more than the arithmetic itself.

/** The digit string of a non-negative integer literal, or `false` (symbolic, negative, fractional, >= 1e21). */
type Digits<N> = N extends number
  ? number extends N
    ? false
    : `${N}` extends `-${string}`
      ? false
      : `${N}` extends `${bigint}`
        ? `${N}`
        : false
  : false;
/** Back to a number literal; `number` past 2^53, where the string no longer round-trips. */
type ToNumber<S> = S extends `${infer N extends number}` ? N : number;

// Two characters a step: a failed 4-character match costs more than it saves on short dims.
type Reverse<S, Acc extends string = ""> = S extends `${infer A}${infer B}${infer T}`
  ? Reverse<T, `${B}${A}${Acc}`>
  : S extends ""
    ? Acc
    : `${S & string}${Acc}`;
type StripZeros<S> = S extends `0${infer R}` ? (R extends "" ? "0" : StripZeros<R>) : S;
/** A reversed digit string that may carry leading zeros, back to normal form. */
type FromReversed<R> = StripZeros<Reverse<R>>;

// ---- one-digit operands, last digit peeled off the end (no reversing) ----
// `${infer P}${Digit}` binds all but the last character; most shape arithmetic is
// "+ 1", "- kernel", "/ stride" with a one-digit right operand.

/** S + 1. */
type Increment<S> = S extends `${infer P}${Digit}`
  ? S extends `${P}${infer x extends Digit}`
    ? x extends "9"
      ? Increment<P> extends infer I extends string
        ? `${I}0`
        : never
      : `${P}${NextDigit[x]}`
    : never
  : "1";
/** S - 1 for S >= 1, without leading zeros. */
type Decrement<S> = S extends `${infer P}${Digit}`
  ? S extends `${P}${infer x extends Digit}`
    ? x extends "0"
      ? Decrement<P> extends infer I extends string
        ? I extends "0"
          ? "9"
          : `${I}9`
        : never
      : `${P}${PreviousDigit[x]}`
    : never
  : never;
/** S + d. */
type AddDigit<S, d extends Digit> = S extends `${infer P}${Digit}`
  ? S extends `${P}${infer x extends Digit}`
    ? AddTable["0"][x][d] extends `${infer c}${infer y}`
      ? c extends "0"
        ? `${P}${y}`
        : Increment<P> extends infer I extends string
          ? `${I}${y}`
          : never
      : never
    : never
  : d;
/** S - d for S >= d. */
type SubDigit<S, d extends Digit> = S extends `${infer P}${Digit}`
  ? S extends `${P}${infer x extends Digit}`
    ? SubTable["0"][x][d] extends `${infer b}${infer y}`
      ? b extends "0"
        ? P extends ""
          ? y
          : `${P}${y}`
        : Decrement<P> extends infer I extends string
          ? I extends "0"
            ? y
            : `${I}${y}`
          : never
      : never
    : never
  : never;
/** [quotient, remainder] of S / d, d in 2..9, most significant digit first. */
type DivModDigit<S, d extends Digit, R extends string = "0", Q extends string = ""> = S extends `${infer x extends Digit}${infer T}`
  ? `${d}${R}${x}` extends infer K extends keyof DivTable
    ? DivTable[K] extends `${infer q}${infer r}`
      ? DivModDigit<T, d, r, Q extends "" ? (q extends "0" ? "" : q) : `${Q}${q}`>
      : never
    : never
  : [Q extends "" ? "0" : Q, R];

// ---- the general digit-wise algorithms (reversed in, reversed out) ----

type AddReversed<A, B, C extends Bit = "0", Acc extends string = ""> = A extends `${infer a extends Digit}${infer AT}`
  ? B extends `${infer b extends Digit}${infer BT}`
    ? AddTable[C][a][b] extends `${infer c extends Bit}${infer d}`
      ? AddReversed<AT, BT, c, `${Acc}${d}`>
      : never
    : C extends "0"
      ? `${Acc}${A}`
      : AddTable[C][a]["0"] extends `${infer c extends Bit}${infer d}`
        ? AddReversed<AT, "", c, `${Acc}${d}`>
        : never
  : B extends ""
    ? C extends "1"
      ? `${Acc}1`
      : Acc
    : AddReversed<B, "", C, Acc>;

/** A - B for A >= B; the result may end in zeros (leading zeros once reversed back). */
type SubReversed<A, B, Br extends Bit = "0", Acc extends string = ""> = A extends `${infer a extends Digit}${infer AT}`
  ? B extends `${infer b extends Digit}${infer BT}`
    ? SubTable[Br][a][b] extends `${infer c extends Bit}${infer d}`
      ? SubReversed<AT, BT, c, `${Acc}${d}`>
      : never
    : Br extends "0"
      ? `${Acc}${A}`
      : SubTable[Br][a]["0"] extends `${infer c extends Bit}${infer d}`
        ? SubReversed<AT, "", c, `${Acc}${d}`>
        : never
  : Acc;

/**
 * A * b * 10^shift for one digit b in one pass, where Acc starts as the shift's zeros.
 * The carry stays one digit: a * b + carry <= 81 + 8.
 */
type MulDigitReversed<A, b extends Digit, Carry extends Digit, Acc extends string> = A extends `${infer a extends Digit}${infer AT}`
  ? MulTable[a][b] extends `${infer t extends Digit}${infer u extends Digit}`
    ? AddTable["0"][u][Carry] extends `${infer c}${infer d}`
      ? MulDigitReversed<AT, b, c extends "1" ? NextDigit[t] & Digit : t, `${Acc}${d}`>
      : never
    : never
  : Carry extends "0"
    ? Acc
    : `${Acc}${Carry}`;

/** Schoolbook multiplication: one shifted partial product per nonzero digit of B. */
type MulReversed<A, B, Shift extends string = "", Acc = ""> = B extends `${infer b extends Digit}${infer BT}`
  ? MulReversed<
      A,
      BT,
      `${Shift}0`,
      b extends "0" ? Acc : Acc extends "" ? MulDigitReversed<A, b, "0", Shift> : AddReversed<Acc, MulDigitReversed<A, b, "0", Shift>>
    >
  : Acc extends ""
    ? "0"
    : Acc;

// ---- comparison and general long division (normal digit order) ----

type CompareLength<A, B> = A extends `${string}${infer AT}`
  ? B extends `${string}${infer BT}`
    ? CompareLength<AT, BT>
    : 1
  : B extends ""
    ? 0
    : -1;
type CompareSameLength<A, B> = A extends `${infer a extends Digit}${infer AT}`
  ? B extends `${infer b extends Digit}${infer BT}`
    ? a extends b
      ? CompareSameLength<AT, BT>
      : b extends SmallerDigits[a]
        ? 1
        : -1
    : 0
  : 0;
/** -1, 0 or 1 for two normal digit strings. */
type CompareDigits<A, B> = A extends B ? 0 : CompareLength<A, B> extends infer L ? (L extends 0 ? CompareSameLength<A, B> : L) : never;

/** A - B for A >= B, normal digit strings. */
type SubDigits<A, B> = B extends Digit ? SubDigit<A, B> : FromReversed<SubReversed<Reverse<A>, Reverse<B>>>;

/** The quotient digit and remainder of R / B where R < 10 * B: count subtractions. */
type DivideStep<R, B, Q extends string = "0"> =
  CompareDigits<R, B> extends -1 ? [Q, R] : Q extends Digit ? DivideStep<SubDigits<R, B>, B, NextDigit[Q]> : never;

/** [quotient, remainder] of A / B by long division, B > 1. */
type DivMod<A, B, R extends string = "0", Q extends string = ""> = B extends Digit
  ? DivModDigit<A, B>
  : A extends `${infer d}${infer AT}`
    ? DivideStep<R extends "0" ? d : `${R}${d}`, B> extends [infer q extends string, infer r extends string]
      ? DivMod<AT, B, r, Q extends "" ? (q extends "0" ? "" : q) : `${Q}${q}`>
      : never
    : [Q extends "" ? "0" : Q, R];

// ---- public dim arithmetic ----
// Literal operands give exact literals. A non-literal operand (`number`, "batch") gives
// `number`, except for identities that hold for every value (x + 0, x * 1, x / 1, x - x,
// x * 0), which keep a symbolic dim symbolic.

/** A + B. */
export type Add<A extends Dim, B extends Dim> = A extends 0
  ? B
  : B extends 0
    ? A
    : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
      ? ToNumber<b extends Digit ? AddDigit<a, b> : a extends Digit ? AddDigit<b, a> : Reverse<AddReversed<Reverse<a>, Reverse<b>>>>
      : number;

/** A - B; negative literals when B > A (callers use that to detect "too small"). */
export type Sub<A extends Dim, B extends Dim> = B extends 0
  ? A
  : [A] extends [B]
    ? [B] extends [A]
      ? 0
      : SubLiteral<A, B>
    : SubLiteral<A, B>;
type SubLiteral<A, B> = [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
  ? CompareDigits<a, b> extends -1
    ? SubDigits<b, a> extends infer D extends string
      ? ToNumber<`-${D}`>
      : never
    : ToNumber<SubDigits<a, b>>
  : number;

/** A * B. */
export type Mul<A extends Dim, B extends Dim> = A extends 1
  ? B
  : B extends 1
    ? A
    : A extends 0
      ? 0
      : B extends 0
        ? 0
        : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
          ? ToNumber<
              [a, b] extends [Digit, Digit] ? StripZeros<MulTable[a & Digit][b & Digit]> : FromReversed<MulReversed<Reverse<a>, Reverse<b>>>
            >
          : number;

/** floor(A / B). Division by zero gives `number` (there is no dim to report it on). */
export type FloorDiv<A extends Dim, B extends Dim> = B extends 1
  ? A
  : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? b extends "0"
      ? number
      : DivMod<a, b> extends [infer q, unknown]
        ? ToNumber<q>
        : never
    : number;

/** ceil(A / B). */
export type CeilDiv<A extends Dim, B extends Dim> = B extends 1
  ? A
  : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? b extends "0"
      ? number
      : DivMod<a, b> extends [infer q, infer r]
        ? ToNumber<r extends "0" ? q : Increment<q>>
        : never
    : number;

/** A mod B (`number` when not both literal, or B is 0). */
export type Mod<A extends Dim, B extends Dim> = B extends 1
  ? 0
  : [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
    ? b extends "0"
      ? number
      : DivMod<a, b> extends [unknown, infer r]
        ? ToNumber<r>
        : never
    : number;

/** -1, 0 or 1 for two literal dims; `number` when either is not a non-negative literal. */
export type Compare<A extends Dim, B extends Dim> = [Digits<A>, Digits<B>] extends [infer a extends string, infer b extends string]
  ? CompareDigits<a, b>
  : number;

/** The element count of a shape: exact when every dim is literal, `number` otherwise (1 for []). */
export type Product<S extends Shape> = number extends S["length"] ? number : ProductOf<S, 1>;
type ProductOf<S, Acc extends Dim> = S extends readonly [infer H extends Dim, ...infer T] ? ProductOf<T, Mul<Acc, H>> : Acc;
