/**
 * Reading single cell values the way a scientist wrote them: property
 * numbers with qualifiers, thousands separators and decimal commas; and
 * cheap look-alike tests (SMILES, molblock, unit) used to guess a mapping
 * and to notice a file without a header. No RDKit here: these only guess.
 */

export type ValueQualifier = '<' | '<=' | '>' | '>=' | '~';

export interface ParsedValue {
  /** The number, or the bound for `<10`/`>100`; null when the text is not a number (`inactive`, `n.d.`). */
  num: number | null;
  /** The value as written (trimmed), qualifier included: `<10`, `1,5`, `10 nM`. */
  text: string;
  qualifier: ValueQualifier | null;
  /** A unit written in the cell after the number (`10 nM` → `nM`, `5%` → `%`); null when none. */
  unit: string | null;
}

export interface ParseValueOptions {
  /**
   * The file writes decimals with a comma (European Excel: semicolon-delimited
   * CSV). Then `1,234` is 1.234; otherwise it is 1234. `1,5` is 1.5 either way
   * (a comma followed by other than three digits cannot be a thousands separator).
   */
  decimalComma?: boolean;
}

/** Cells that mean "no value": the property is skipped for that row. */
const MISSING = new Set([
  'nan', 'na', 'n/a', '#n/a', 'null', 'none', 'undefined', '-', '--', '---', '?', '.',
  '#value!', '#div/0!', '#ref!', '#num!', '#name?', '#null!', '#n/a!'
]);

const SPACES = /[\u00a0\u2007\u2009\u202f]/g;

/**
 * `parsePropertyValue('<10')` → `{ num: 10, text: '<10', qualifier: '<', unit: null }`;
 * `''`, `NaN`, `N/A`, `#DIV/0!` → null (skip the property for this row).
 */
export function parsePropertyValue(input: string | null | undefined, opts: ParseValueOptions = {}): ParsedValue | null {
  if (input == null) return null;
  const text = input.replace(SPACES, ' ').trim();
  if (text === '' || MISSING.has(text.toLowerCase())) return null;
  const textOnly: ParsedValue = { num: null, text, qualifier: null, unit: null };
  if (text.length > 200) return textOnly;

  let s = text.replace(/\u2212/g, '-').replace(/[≤⩽]/g, '<=').replace(/[≥⩾]/g, '>=').replace(/[≈∼]/g, '~');
  let qualifier: ValueQualifier | null = null;
  const q = /^(<=|>=|=<|=>|<<|>>|<|>|~|=|ca\.?(?=\s|\d))\s*/i.exec(s);
  if (q) {
    const sym = q[1].toLowerCase();
    qualifier =
      sym === '<=' || sym === '=<' ? '<=' : sym === '>=' || sym === '=>' ? '>=' : sym[0] === '<' ? '<' : sym[0] === '>' ? '>' : sym === '=' ? null : '~';
    s = s.slice(q[0].length);
  }

  const m = NUMBER.exec(s);
  if (!m) return textOnly;
  let num = toNumber(m[1], m[2], opts.decimalComma ?? false);
  if (num === null) return textOnly;
  let rest = s.slice(m[0].length).trim();

  // Hand-written scientific notation: 1.2 x 10^-3, 1.2×10-3, 1.2*10^3
  const sci = /^(?:x|×|\*)\s*10\^?\s*([+-]?\d{1,3})/i.exec(rest);
  if (sci) {
    // Via e-notation, not multiplication: 1.2 × 10^-3 is exactly 0.0012.
    num = /e/i.test(String(num)) ? num * 10 ** Number(sci[1]) : Number(`${num}e${Number(sci[1])}`);
    rest = rest.slice(sci[0].length).trim();
  }
  // An uncertainty after the value is kept in the text only: 5.2 ± 0.3
  const pm = /^(?:±|\+\/-|\+-)\s*[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)(?:[eE][+-]?\d+)?/.exec(rest);
  if (pm) rest = rest.slice(pm[0].length).trim();

  let unit: string | null = null;
  if (rest !== '') {
    if (!isUnitLike(rest)) return textOnly;
    unit = normalizeUnit(rest);
  }
  if (!Number.isFinite(num)) return textOnly;
  if (Object.is(num, -0)) num = 0;
  return { num, text, qualifier, unit };
}

/** Sign, digits with optional group/decimal separators, optional exponent. */
const NUMBER = /^([+-]?(?:\d[\d,.' ]*\d|\d|[.,]\d+))(?:[eE]([+-]?\d{1,4}))?/;

function toNumber(body: string, exponent: string | undefined, decimalComma: boolean): number | null {
  let sign = '';
  if (body[0] === '+' || body[0] === '-') {
    sign = body[0] === '-' ? '-' : '';
    body = body.slice(1);
  }
  // Spaces and apostrophes only ever group thousands (1 234,5 · 1'234.5).
  if (/[ ']/.test(body)) {
    if (!/^\d{1,3}(?:[ ']\d{3})+(?:[.,]\d+)?$/.test(body)) return null;
    body = body.replace(/[ ']/g, '');
  }
  const commas = count(body, ',');
  const dots = count(body, '.');
  let plain: string;
  if (commas && dots) {
    // The later separator is the decimal one: 1,234.5 or 1.234,5
    const decimal = body.lastIndexOf(',') > body.lastIndexOf('.') ? ',' : '.';
    const group = decimal === ',' ? '.' : ',';
    if (count(body, decimal) !== 1) return null;
    const [int, frac] = body.split(decimal);
    if (!validGroups(int, group)) return null;
    plain = `${int.split(group).join('')}.${frac}`;
  } else if (commas) {
    if (commas > 1) {
      if (!validGroups(body, ',')) return null;
      plain = body.split(',').join('');
    } else {
      const [int, frac] = body.split(',');
      // 1,234 is a thousands separator unless the file writes decimal commas; 0,500 never is.
      const grouping = !decimalComma && /^\d{1,3}$/.test(int) && !/^0+$/.test(int) && /^\d{3}$/.test(frac);
      plain = grouping ? `${int}${frac}` : `${int}.${frac}`;
    }
  } else if (dots > 1) {
    if (!validGroups(body, '.')) return null; // 1.234.567 (but not a date like 12.03.2024)
    plain = body.split('.').join('');
  } else {
    plain = body;
  }
  if (!/^(?:\d+\.?\d*|\.\d+)$/.test(plain)) return null;
  const n = Number(`${sign}${plain}${exponent !== undefined ? `e${exponent}` : ''}`);
  return Number.isNaN(n) ? null : n;
}

const count = (s: string, ch: string) => s.split(ch).length - 1;
/** 1,234,567: a first group of 1–3 digits, then groups of exactly 3. */
const validGroups = (s: string, sep: string) => {
  const parts = s.split(sep);
  return /^\d{1,3}$/.test(parts[0]) && parts.slice(1).every((p) => /^\d{3}$/.test(p));
};

// ---------------------------------------------------------------------------
// Units

const UNIT_BASE =
  'M|mol|g|L|l|Da|s|sec|min|h|hr|hrs|d|day|days|wk|m|cm|nm|Å|K|°C|°F|Pa|bar|atm|mmHg|ppm|ppb|%|eq|equiv|cells|well|Hz|cal|J|V|A|U|IU';
const UNIT_TOKEN = new RegExp(`^(?:10\\^?[+-]?\\d+\\s*)?(?:[fpnuµμmckMG]?(?:${UNIT_BASE}))(?:\\^?[+-]?\\d)?$`);
const UNIT_WORDS = new Set(['rfu', 'au', 'a.u.', 'cps', 'cpm', 'ratio', 'fold', 'x', 'log', 'log units', 'pka units']);

/**
 * A unit as written in a header or after a number: `nM`, `µM`, `g/mol`,
 * `mL/min/kg`, `%`, `°C`, `10^-6 cm/s`. Not `pH 7.4`, `mean`, `7.4`.
 */
export function isUnitLike(text: string): boolean {
  const s = text.trim();
  if (s === '' || s.length > 24) return false;
  if (UNIT_WORDS.has(s.toLowerCase())) return true;
  const tokens = s.split(/\s*[/·*]\s*|\s+per\s+/);
  return tokens.every((t) => UNIT_TOKEN.test(t));
}

/** `uM` and `μM` (Greek mu) → `µM` (micro sign), so one CRO's uM and another's µM agree. */
export function normalizeUnit(unit: string): string {
  return unit
    .trim()
    .replace(/\u03bc/g, '\u00b5')
    .replace(/(^|[/\s·*])u(?=(?:M|mol|g|L|l|m|s)\b)/g, '$1\u00b5');
}

// ---------------------------------------------------------------------------
// Structure look-alikes

const SMILES_TOKEN = /Cl|Br|[BCNOPSFI*]|[bcnops]|\[[^[\]]{1,40}\]|%\d\d|\d|[-=#$:/\\.~]|\(|\)/y;

/**
 * Whether a cell could be a SMILES string: every character is part of a
 * SMILES token, parentheses and brackets balance, ring closures pair up, and
 * it is not a bare word that happens to tokenize (`In`, `No`, `Co`). A cheap
 * guess for picking the structure column and noticing a missing header; RDKit
 * decides later.
 */
export function looksLikeSmiles(value: string): boolean {
  let s = value.trim();
  // CXSMILES extension after the SMILES: "C1CC1 |r,c:1|"
  s = s.replace(/\s+\|[^|]*\|$/, '');
  if (s.length === 0 || s.length > 5000 || /\s/.test(s)) return false;
  if (/^[\d.%)=#\-]/.test(s)) return false;
  let depth = 0;
  let atoms = 0;
  const rings = new Map<string, number>();
  SMILES_TOKEN.lastIndex = 0;
  while (SMILES_TOKEN.lastIndex < s.length) {
    const at = SMILES_TOKEN.lastIndex;
    const m = SMILES_TOKEN.exec(s);
    if (!m || m.index !== at) return false;
    const t = m[0];
    if (t === '(') depth++;
    else if (t === ')') {
      if (--depth < 0) return false;
    } else if (/^(?:\d|%\d\d)$/.test(t)) rings.set(t, (rings.get(t) ?? 0) + 1);
    else if (/^(?:[A-Za-z*]|\[)/.test(t)) atoms++;
  }
  if (depth !== 0 || atoms === 0) return false;
  for (const n of rings.values()) if (n % 2 !== 0) return false;
  // A word of letters only must be all upper-case organic atoms (CCO, CCCC), at least two of them.
  if (/^[A-Za-z]+$/.test(s)) return /^(?:Cl|Br|[BCNOPSFI])+$/.test(s) && s.length >= 2;
  return true;
}

/** Whether a cell holds a molfile/molblock (V2000 or V3000). */
export function looksLikeMolblock(value: string): boolean {
  return /^M {2}END\s*$/m.test(value) || /\bV[23]000\b/.test(value);
}

/** Whether a cell is a number as `parsePropertyValue` reads it (qualifiers and units allowed). */
export function looksNumeric(value: string, opts: ParseValueOptions = {}): boolean {
  const v = parsePropertyValue(value, opts);
  return v !== null && v.num !== null;
}

/**
 * Whether sample cells write decimals with a comma: some `12,5`/`0,25`
 * (comma followed by other than three digits, so not a thousands separator)
 * and no `12.5`. Semicolon-delimited files are decimal-comma by convention;
 * this catches tab-delimited European exports.
 */
export function guessDecimalComma(values: Iterable<string>): boolean {
  let comma = 0;
  let dot = 0;
  for (const raw of values) {
    const v = raw.trim().replace(/^(?:<=|>=|[<>~=])\s*/, '');
    if (/^[+-]?\d+,(?:\d{1,2}|\d{4,})$/.test(v) || /^[+-]?0,\d+$/.test(v)) comma++;
    else if (/^[+-]?\d*\.\d+$/.test(v) && !/^[+-]?\d{1,3}\.\d{3}$/.test(v)) dot++;
  }
  return comma > 0 && dot === 0;
}
