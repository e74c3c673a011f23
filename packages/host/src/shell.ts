/**
 * The real bx-provider builds shell command lines from its input (`"$exec $opt |"`,
 * `tar xzf $archive -C $folder`) and hands them to /bin/sh. The emulator never does: it computes
 * the words the shell would have produced for plain words (split on blanks) and refuses any
 * line in which the shell would have done something else.
 */

/** One piece of a command line; `opaque` pieces (the emulator's root path) are never split. */
export interface Segment {
  text: string;
  opaque?: boolean;
}

export type ShellPlan =
  | { ok: true; words: string[]; line: string }
  | { ok: false; line: string; char: string; reason: string };

function syntaxProblem(text: string, atWordStart: (i: number) => boolean): { char: string; reason: string } | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    switch (c) {
      case ';':
      case '&':
      case '|':
        return { char: c, reason: `${JSON.stringify(c)} ends the command and starts another one` };
      case '\n':
        return { char: '\\n', reason: 'a newline ends the command and starts another one' };
      case '$':
        return { char: c, reason: '"$" is expanded by the shell (a variable or a command substitution)' };
      case '`':
        return { char: c, reason: 'a backquote runs a command substitution' };
      case '<':
      case '>':
        return { char: c, reason: `${JSON.stringify(c)} is a redirection` };
      case "'":
      case '"':
      case '\\':
        return { char: c, reason: `${JSON.stringify(c)} is quoting, which the shell removes` };
      case '*':
      case '?':
      case '[':
        return { char: c, reason: `${JSON.stringify(c)} is a glob, which the shell replaces by matching file names` };
      case '(':
      case ')':
        return { char: c, reason: `${JSON.stringify(c)} is shell syntax (a subshell); the shell reports a syntax error` };
      case '#':
        if (atWordStart(i)) return { char: c, reason: '"#" at the start of a word starts a comment: the rest of the line is dropped' };
        break;
      case '~':
        if (atWordStart(i)) return { char: c, reason: '"~" at the start of a word is replaced by a home directory' };
        break;
    }
  }
  return undefined;
}

/** The words /bin/sh would run for `segments`, or why the emulator refuses the line. */
export function planShellLine(segments: Segment[]): ShellPlan {
  const line = segments.map((s) => s.text).join('');
  const words: string[] = [];
  let cur: string | undefined;
  let prevBlank = true;
  for (const seg of segments) {
    if (seg.opaque) {
      cur = (cur ?? '') + seg.text;
      prevBlank = false;
      continue;
    }
    const t = seg.text;
    const starts: boolean[] = [];
    let pb = prevBlank;
    for (let i = 0; i < t.length; i++) {
      starts.push(pb);
      pb = t[i] === ' ' || t[i] === '\t';
    }
    const problem = syntaxProblem(t, (i) => starts[i]);
    if (problem) return { ok: false, line, ...problem };
    for (const c of t) {
      if (c === ' ' || c === '\t') {
        if (cur !== undefined) words.push(cur);
        cur = undefined;
        prevBlank = true;
      } else {
        cur = (cur ?? '') + c;
        prevBlank = false;
      }
    }
  }
  if (cur !== undefined) words.push(cur);
  return { ok: true, words, line };
}
