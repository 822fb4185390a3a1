/**
 * Compile-time ReDoS screening for operator-supplied regular expressions.
 *
 * JavaScript's RegExp backtracks, so a pattern such as `(a+)+$` takes exponential time on
 * `aaaa…!`. Envoy and Istio avoid this with RE2 (linear time). We cannot ship RE2 without a
 * dependency, so we reject, at compile time, every construct that lets a backtracking engine
 * explore more than a linear number of paths, following the ambiguity analysis of
 * Weideman et al., "Analyzing Matching Time Behavior of Backtracking Regular Expression
 * Matchers by Using Ambiguity of NFA" (CIAA 2016) and the star-height heuristics of
 * safe-regex / rxxr2, made conservative:
 *
 * 1. backreferences and lookaround (not regular; RE2 refuses them too);
 * 2. nested quantifiers: a repeated group whose body can itself vary in length (`(a+)+`,
 *    `(\w+\s?)*`, `(.*a){12}`) or match the empty string (`(a?)*`);
 * 3. ambiguous alternation under a quantifier: a repeated group with alternatives that can
 *    start with the same character (`(a|aa)+`, `(\w|\d)*`);
 * 4. overlapping adjacent quantifiers: two variable-length parts of one sequence where the
 *    first can absorb everything between them and the start of the second (`.*.*=`,
 *    `\d+\d+x`, `.*a.*b`, `.*-v1-.*`). Write `[^/]*` instead of `.*` between literals.
 * 5. with `search` (a pattern searched for, not fully matched): an unbounded repeat in a
 *    pattern not anchored with a leading `^` (`x[^/]*y`): each start position is an attempt.
 *
 * What passes runs in time linear in the input (times the pattern size) on V8's backtracker,
 * for a full match (the router's `^(?:…)$`) and, with `search`, for a search.
 *
 * Why one file of about 550 lines: it is one algorithm. The parser builds the small node tree
 * only this analysis reads, and the properties (`nullable`, `firstOf`, `variable`, …) mean
 * something only to the checks of rules 1–5 above; read together, a reviewer can check each
 * rule against the paper in one place. Split, each part would export internals nothing else uses.
 */

/** A set of characters: one flag per ASCII code, plus one for "any non-ASCII character". */
class CharSet {
  readonly bits = new Uint8Array(129);

  static of(...codes: number[]): CharSet {
    const s = new CharSet();
    for (const c of codes) s.add(c);
    return s;
  }

  static all(): CharSet {
    const s = new CharSet();
    s.bits.fill(1);
    return s;
  }

  add(c: number): void {
    this.bits[c < 128 ? c : 128] = 1;
  }

  addRange(from: number, to: number): void {
    for (let c = from; c <= to && c < 128; c++) this.bits[c] = 1;
    if (to >= 128) this.bits[128] = 1;
  }

  union(o: CharSet): CharSet {
    const s = new CharSet();
    for (let i = 0; i < 129; i++) s.bits[i] = (this.bits[i] as number) | (o.bits[i] as number);
    return s;
  }

  negate(): CharSet {
    const s = new CharSet();
    for (let i = 0; i < 128; i++) s.bits[i] = this.bits[i] ? 0 : 1;
    s.bits[128] = 1;
    return s;
  }

  intersects(o: CharSet): boolean {
    for (let i = 0; i < 129; i++) if (this.bits[i] && o.bits[i]) return true;
    return false;
  }

  subsetOf(o: CharSet): boolean {
    for (let i = 0; i < 129; i++) if (this.bits[i] && !o.bits[i]) return false;
    return true;
  }

  foldCase(): CharSet {
    const s = this.union(new CharSet());
    for (let c = 65; c <= 90; c++) {
      if (this.bits[c] || this.bits[c + 32]) s.bits[c] = s.bits[c + 32] = 1;
    }
    return s;
  }
}

type Node =
  | { readonly t: 'chars'; readonly set: CharSet }
  | { readonly t: 'empty' }
  | { readonly t: 'seq'; readonly items: readonly Node[] }
  | { readonly t: 'alt'; readonly alts: readonly Node[] }
  | { readonly t: 'repeat'; readonly body: Node; readonly min: number; readonly max: number };

class Unsafe extends Error {}

const DIGIT = (): CharSet => {
  const s = new CharSet();
  s.addRange(48, 57);
  return s;
};
const WORD = (): CharSet => {
  const s = DIGIT();
  s.addRange(65, 90);
  s.addRange(97, 122);
  s.add(95);
  return s;
};
const SPACE = (): CharSet => {
  const s = CharSet.of(9, 10, 11, 12, 13, 32);
  s.add(128);
  return s;
};

class Parser {
  i = 0;
  readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  parse(): Node {
    const n = this.alt();
    if (this.i < this.src.length) throw new Unsafe(`unbalanced ")" at offset ${this.i}`);
    return n;
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alt(): Node {
    const alts = [this.seq()];
    while (this.peek() === '|') {
      this.i++;
      alts.push(this.seq());
    }
    return alts.length === 1 ? (alts[0] as Node) : { t: 'alt', alts };
  }

  private seq(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      const atom = this.atom();
      items.push(this.quantifier(atom));
    }
    return items.length === 1 ? (items[0] as Node) : { t: 'seq', items };
  }

  private quantifier(atom: Node): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (m === null) return atom; // a literal "{" outside unicode mode
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.peek() === '?') this.i++; // lazy: same worst case
    if (atom.t === 'empty') return atom;
    return this.quantifier({ t: 'repeat', body: atom, min, max });
  }

  private atom(): Node {
    const c = this.src[this.i++] as string;
    switch (c) {
      case '^':
      case '$':
        return { t: 'empty' };
      case '.': {
        const s = CharSet.all();
        s.bits[10] = s.bits[13] = 0;
        return { t: 'chars', set: s };
      }
      case '(': {
        if (this.src.startsWith('?:', this.i)) this.i += 2;
        else if (/^\?<?[=!]/.test(this.src.slice(this.i, this.i + 3))) throw new Unsafe('lookaround is not allowed');
        else if (this.src.startsWith('?<', this.i)) {
          const end = this.src.indexOf('>', this.i);
          if (end < 0) throw new Unsafe('unterminated group name');
          this.i = end + 1;
        }
        const body = this.alt();
        if (this.src[this.i] !== ')') throw new Unsafe('unterminated group');
        this.i++;
        return body;
      }
      case '[':
        return { t: 'chars', set: this.charClass() };
      case '\\':
        return this.escape(false);
      default:
        return { t: 'chars', set: CharSet.of(c.charCodeAt(0)) };
    }
  }

  private escape(inClass: boolean): Node {
    const c = this.src[this.i++];
    if (c === undefined) throw new Unsafe('trailing backslash');
    switch (c) {
      case 'd':
        return { t: 'chars', set: DIGIT() };
      case 'D':
        return { t: 'chars', set: DIGIT().negate() };
      case 'w':
        return { t: 'chars', set: WORD() };
      case 'W':
        return { t: 'chars', set: WORD().negate() };
      case 's':
        return { t: 'chars', set: SPACE() };
      case 'S':
        return { t: 'chars', set: CharSet.all() };
      case 'b':
        return inClass ? { t: 'chars', set: CharSet.of(8) } : { t: 'empty' };
      case 'B':
        return { t: 'empty' };
      case 'k':
        throw new Unsafe('backreferences are not allowed');
      case 't':
        return { t: 'chars', set: CharSet.of(9) };
      case 'n':
        return { t: 'chars', set: CharSet.of(10) };
      case 'r':
        return { t: 'chars', set: CharSet.of(13) };
      case 'v':
        return { t: 'chars', set: CharSet.of(11) };
      case 'f':
        return { t: 'chars', set: CharSet.of(12) };
      case 'x':
      case 'u': {
        const len = c === 'x' ? 2 : 4;
        const hex = this.src.slice(this.i, this.i + len);
        if (/^[0-9a-fA-F]+$/.test(hex) && hex.length === len) {
          this.i += len;
          return { t: 'chars', set: CharSet.of(parseInt(hex, 16)) };
        }
        return { t: 'chars', set: CharSet.of(c.charCodeAt(0)) };
      }
      case 'c':
        return { t: 'chars', set: CharSet.all() };
      default:
        if (c >= '1' && c <= '9' && !inClass) throw new Unsafe('backreferences are not allowed');
        return { t: 'chars', set: CharSet.of(c === '0' ? 0 : c.charCodeAt(0)) };
    }
  }

  private charClass(): CharSet {
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.i++;
    }
    let set = new CharSet();
    let first = true;
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) throw new Unsafe('unterminated character class');
      if (c === ']' && !first) break;
      first = false;
      let lo: number | undefined;
      if (c === '\\') {
        this.i++;
        const e = this.escape(true);
        if (e.t !== 'chars') continue;
        const single = singleCode(e.set);
        if (single === undefined) {
          set = set.union(e.set);
          continue;
        }
        lo = single;
      } else {
        lo = c.charCodeAt(0);
        this.i++;
      }
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.src[this.i + 1] !== undefined) {
        this.i++;
        let hi: number;
        const d = this.src[this.i] as string;
        if (d === '\\') {
          this.i++;
          const e = this.escape(true);
          const single = e.t === 'chars' ? singleCode(e.set) : undefined;
          if (single === undefined) {
            set.add(lo);
            set.add(45);
            if (e.t === 'chars') set = set.union(e.set);
            continue;
          }
          hi = single;
        } else {
          hi = d.charCodeAt(0);
          this.i++;
        }
        set.addRange(lo, hi);
      } else set.add(lo);
    }
    this.i++;
    return negated ? set.negate() : set;
  }
}

function singleCode(s: CharSet): number | undefined {
  let found: number | undefined;
  for (let i = 0; i < 128; i++) {
    if (s.bits[i]) {
      if (found !== undefined) return undefined;
      found = i;
    }
  }
  return s.bits[128] ? undefined : found;
}

function nullable(n: Node): boolean {
  switch (n.t) {
    case 'chars':
      return false;
    case 'empty':
      return true;
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.alts.some(nullable);
    case 'repeat':
      return n.min === 0 || nullable(n.body);
  }
}

/** Every character `n` can consume. */
// Deliberately alike: firstOf below — the same walk over the node kinds, but a sequence gives all
// its items' characters here and only those up to its first non-nullable item there.
function charsOf(n: Node): CharSet {
  switch (n.t) {
    case 'chars':
      return n.set;
    case 'empty':
      return new CharSet();
    case 'seq':
      return n.items.reduce((s, x) => s.union(charsOf(x)), new CharSet());
    case 'alt':
      return n.alts.reduce((s, x) => s.union(charsOf(x)), new CharSet());
    case 'repeat':
      return charsOf(n.body);
  }
}

/** Characters a non-empty match of `n` can start with. */
// Deliberately alike: charsOf above — the same walk over the node kinds; a sequence stops at its
// first item that cannot match the empty string.
function firstOf(n: Node): CharSet {
  switch (n.t) {
    case 'chars':
      return n.set;
    case 'empty':
      return new CharSet();
    case 'seq': {
      let s = new CharSet();
      for (const x of n.items) {
        s = s.union(firstOf(x));
        if (!nullable(x)) break;
      }
      return s;
    }
    case 'alt':
      return n.alts.reduce((s, x) => s.union(firstOf(x)), new CharSet());
    case 'repeat':
      return firstOf(n.body);
  }
}

/** True when `n` can match strings of different lengths. */
function variable(n: Node): boolean {
  switch (n.t) {
    case 'chars':
    case 'empty':
      return false;
    case 'seq':
      return n.items.some(variable);
    case 'alt': {
      if (n.alts.some(variable)) return true;
      const lens = new Set(n.alts.map(fixedLength));
      return lens.size > 1;
    }
    case 'repeat':
      return n.min !== n.max || variable(n.body);
  }
}

function fixedLength(n: Node): number {
  switch (n.t) {
    case 'chars':
      return 1;
    case 'empty':
      return 0;
    case 'seq':
      return n.items.reduce((s, x) => s + fixedLength(x), 0);
    case 'alt':
      return fixedLength(n.alts[0] as Node);
    case 'repeat':
      return n.min * fixedLength(n.body);
  }
}

function containsAlt(n: Node): Node & { t: 'alt' } | undefined {
  switch (n.t) {
    case 'alt':
      return n;
    case 'seq':
      for (const x of n.items) {
        const a = containsAlt(x);
        if (a) return a;
      }
      return undefined;
    case 'repeat':
      return containsAlt(n.body);
    default:
      return undefined;
  }
}

function check(n: Node): void {
  switch (n.t) {
    case 'chars':
    case 'empty':
      return;
    case 'alt':
      n.alts.forEach(check);
      return;
    case 'repeat': {
      check(n.body);
      if (n.max <= 1) return;
      if (variable(n.body)) throw new Unsafe('nested quantifier: a repeated group whose body can vary in length');
      if (nullable(n.body)) throw new Unsafe('a repeated group that can match the empty string');
      const alt = containsAlt(n.body);
      if (alt) {
        const firsts = alt.alts.map(firstOf);
        for (let i = 0; i < firsts.length; i++) {
          for (let j = i + 1; j < firsts.length; j++) {
            if ((firsts[i] as CharSet).intersects(firsts[j] as CharSet)) {
              throw new Unsafe('ambiguous alternation under a quantifier: two alternatives can start with the same character');
            }
          }
        }
      }
      return;
    }
    case 'seq': {
      n.items.forEach(check);
      const items = n.items;
      for (let i = 0; i < items.length; i++) {
        const qi = items[i] as Node;
        if (!variable(qi)) continue;
        const absorbs = charsOf(qi);
        for (let j = i + 1; j < items.length; j++) {
          const x = items[j] as Node;
          if (variable(x) && firstOf(x).intersects(absorbs)) {
            throw new Unsafe('overlapping adjacent quantifiers: one can absorb what the next one matches (use a negated class such as [^/]*)');
          }
          if (!nullable(x) && !charsOf(x).subsetOf(absorbs)) break;
        }
      }
      return;
    }
  }
}

/** Options of {@link checkRegexSafety}. */
export interface RegexSafetyOptions {
  /** The pattern runs with the `i` flag (case variants then count as overlapping). */
  readonly ignoreCase?: boolean;
  /**
   * The pattern is searched for (`replace` / `exec` with `g`), not matched against the whole
   * input as the router does: then an unbounded repeat needs a leading `^` (see the rule in
   * the module comment). The rewriter's `RegexRewrite` sets it.
   */
  readonly search?: boolean;
}

/** Whether a repeat without an upper bound (`*`, `+`, `{n,}`) occurs anywhere in the tree. */
function unbounded(n: Node): boolean {
  switch (n.t) {
    case 'chars':
    case 'empty':
      return false;
    case 'seq':
      return n.items.some(unbounded);
    case 'alt':
      return n.alts.some(unbounded);
    case 'repeat':
      return n.max === Infinity || unbounded(n.body);
  }
}

/**
 * The outcome of {@link checkRegexSafety}: `safe`, or why the pattern could backtrack
 * super-linearly (or is not a regular expression at all).
 */
export type RegexSafety = { readonly kind: 'safe' } | { readonly kind: 'unsafe'; readonly reason: string };

/**
 * Screens a regular-expression source (without delimiters) for catastrophic backtracking.
 * Conservative: a few harmless patterns are refused (rewrite them with negated classes), no
 * pattern that passes can take super-linear time on V8.
 *
 * Use it to validate operator config before compiling it (the router calls it for every
 * path, header and query regex, the rewriter for every `RegexRewrite` pattern). Lives in core so
 * both screen with one rule and one wording; `@switchyard/router` re-exports it.
 *
 * @example
 * ```ts
 * import { checkRegexSafety } from '@switchyard/core';
 * checkRegexSafety('/users/[0-9]+');  // { kind: 'safe' }
 * checkRegexSafety('(a+)+$');         // { kind: 'unsafe', reason: 'nested quantifier: ...' }
 * ```
 */
export function checkRegexSafety(source: string, options: RegexSafetyOptions = {}): RegexSafety {
  try {
    new RegExp(source, options.ignoreCase ? 'i' : '');
  } catch (e) {
    return { kind: 'unsafe', reason: `invalid regular expression: ${(e as Error).message}` };
  }
  try {
    let tree = new Parser(source).parse();
    if (options.ignoreCase) tree = fold(tree);
    check(tree);
    // A search tries a match at every start position: linear per attempt is quadratic in total
    // as soon as one attempt can run to the end of the input (`x[^/]*y` on 16 KB of `x`: half a
    // second). Anchored at the start, only position 0 gets further than one character.
    if (options.search === true && !(source.startsWith('^') && tree.t !== 'alt') && unbounded(tree)) {
      throw new Unsafe('an unanchored pattern with an unbounded repeat is searched at every position (quadratic time): start it with "^" or bound the repeat ({0,n})');
    }
    return { kind: 'safe' };
  } catch (e) {
    if (e instanceof Unsafe) return { kind: 'unsafe', reason: e.message };
    throw e;
  }
}

function fold(n: Node): Node {
  switch (n.t) {
    case 'chars':
      return { t: 'chars', set: n.set.foldCase() };
    case 'empty':
      return n;
    case 'seq':
      return { t: 'seq', items: n.items.map(fold) };
    case 'alt':
      return { t: 'alt', alts: n.alts.map(fold) };
    case 'repeat':
      return { ...n, body: fold(n.body) };
  }
}
