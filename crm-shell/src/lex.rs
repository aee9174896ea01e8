//! Splitting input into logical lines and tokens.
//!
//! crmsh splits each command with POSIX shell rules (`shlex`): whitespace
//! separates tokens, `'...'` quotes literally, `"..."` quotes with `\"` and
//! `\\` escapes, and a backslash outside quotes escapes the next character.
//! A physical line ending in `\` continues on the next one. We do the same,
//! and additionally remember where every token started so errors can name a
//! line and column.
//!
//! Deviation from crmsh, on purpose: typographic quotes and dashes
//! (`“ ” „ ‟ ‘ ’ ′ ″ – —`) outside straight quotes are rejected with
//! [`LexError::SmartQuote`]. crmsh treats them as ordinary characters and
//! stores them inside values (or crashes when they end up in an id).

use std::fmt;

/// A 1-based line and column in the input (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Loc {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One command as typed: possibly several physical lines joined by `\`.
#[derive(Debug, Clone)]
pub struct LogicalLine {
    /// The joined text (continuation backslash and newline replaced by a space).
    pub text: String,
    /// For each character of `text`, where it came from.
    pub locs: Vec<Loc>,
}

impl LogicalLine {
    /// Where this command starts.
    pub fn start(&self) -> Loc {
        self.locs.first().copied().unwrap_or_default()
    }
}

/// Joins physical lines into commands. `first_line` is the number of the
/// first line of `input` (so callers can number lines of a larger stream).
pub fn logical_lines(input: &str, first_line: usize) -> Vec<LogicalLine> {
    let mut out = Vec::new();
    let mut cur: Option<LogicalLine> = None;
    for (i, raw) in input.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let lineno = first_line + i;
        // a comment line inside a continued command is skipped, as crmsh
        // does, and the command goes on
        if cur.is_some() && raw.trim_start().starts_with('#') {
            continue;
        }
        let cont = ends_with_continuation(raw);
        let body = if cont { &raw[..raw.len() - 1] } else { raw };
        let ll = cur.get_or_insert_with(|| LogicalLine {
            text: String::new(),
            locs: Vec::new(),
        });
        if !ll.text.is_empty() {
            ll.text.push(' ');
            let l = ll.locs.last().copied().unwrap_or_default();
            ll.locs.push(l);
        }
        for (c, ch) in body.chars().enumerate() {
            ll.text.push(ch);
            ll.locs.push(Loc {
                line: lineno,
                col: c + 1,
            });
        }
        if !cont {
            out.push(cur.take().expect("set above"));
        }
    }
    if let Some(ll) = cur {
        out.push(ll);
    }
    out
}

/// A line continues when it ends in an odd number of backslashes.
fn ends_with_continuation(s: &str) -> bool {
    let n = s.chars().rev().take_while(|&c| c == '\\').count();
    n % 2 == 1
}

/// One token with the location of its first character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token after quote removal.
    pub text: String,
    /// Where it started.
    pub loc: Loc,
}

/// Why a line could not be split into tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LexError {
    /// A quote was opened and never closed.
    #[error("{loc}: no closing quotation (the {quote} quote opened here is never closed)")]
    Unclosed {
        /// Where the quote opened.
        loc: Loc,
        /// The quote character.
        quote: char,
    },
    /// A typographic quote or dash outside straight quotes.
    #[error("{loc}: typographic character '{ch}' (U+{code:04X}); {hint}", code = *ch as u32)]
    SmartQuote {
        /// Where the character is.
        loc: Loc,
        /// The character.
        ch: char,
        /// What to type instead.
        hint: &'static str,
    },
}

impl LexError {
    /// Where the problem is.
    pub fn loc(&self) -> Loc {
        match self {
            LexError::Unclosed { loc, .. } | LexError::SmartQuote { loc, .. } => *loc,
        }
    }
}

/// The hint for a typographic character, or `None` for ordinary characters.
pub fn smart_hint(c: char) -> Option<&'static str> {
    match c {
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{2036}' => {
            Some("use straight double quotes (\") instead")
        }
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{2035}' => {
            Some("use straight single quotes (') instead")
        }
        '\u{2013}' | '\u{2014}' | '\u{2212}' => {
            Some("use ASCII hyphens (- or --) instead; the text was probably pasted from a word processor or blog")
        }
        _ => None,
    }
}

/// Splits a logical line into tokens with shell rules. A `#` at the start of
/// a token starts a comment only when it is the first token.
pub fn tokenize(line: &LogicalLine) -> Result<Vec<Token>, LexError> {
    let chars: Vec<char> = line.text.chars().collect();
    let loc = |i: usize| {
        line.locs
            .get(i)
            .copied()
            .or_else(|| line.locs.last().copied())
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let mut tok = String::new();
        while i < chars.len() && !chars[i].is_whitespace() {
            let c = chars[i];
            match c {
                '\'' => {
                    let open = i;
                    i += 1;
                    while i < chars.len() && chars[i] != '\'' {
                        tok.push(chars[i]);
                        i += 1;
                    }
                    if i >= chars.len() {
                        return Err(LexError::Unclosed {
                            loc: loc(open),
                            quote: '\'',
                        });
                    }
                    i += 1;
                }
                '"' => {
                    let open = i;
                    i += 1;
                    loop {
                        if i >= chars.len() {
                            return Err(LexError::Unclosed {
                                loc: loc(open),
                                quote: '"',
                            });
                        }
                        match chars[i] {
                            '"' => {
                                i += 1;
                                break;
                            }
                            '\\' if i + 1 < chars.len()
                                && matches!(chars[i + 1], '"' | '\\' | '$' | '`') =>
                            {
                                tok.push(chars[i + 1]);
                                i += 2;
                            }
                            ch => {
                                tok.push(ch);
                                i += 1;
                            }
                        }
                    }
                }
                '\\' => {
                    if i + 1 < chars.len() {
                        tok.push(chars[i + 1]);
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
                c => {
                    if let Some(hint) = smart_hint(c) {
                        return Err(LexError::SmartQuote {
                            loc: loc(i),
                            ch: c,
                            hint,
                        });
                    }
                    tok.push(c);
                    i += 1;
                }
            }
        }
        out.push(Token {
            text: tok,
            loc: loc(start),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        let l = &logical_lines(s, 1)[0];
        tokenize(l).unwrap().into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn shell_rules() {
        assert_eq!(
            toks(r#"a b="c d" e='f g' h="i \"j\"" k="""#),
            vec!["a", "b=c d", "e=f g", "h=i \"j\"", "k="]
        );
    }

    #[test]
    fn continuation_keeps_positions() {
        let ls = logical_lines("primitive a \\\n\tparams x=1\nnext", 5);
        assert_eq!(ls.len(), 2);
        let t = tokenize(&ls[0]).unwrap();
        assert_eq!(t[2].text, "params");
        assert_eq!(t[2].loc, Loc { line: 6, col: 2 });
        assert_eq!(ls[1].start().line, 7);
    }

    #[test]
    fn comments_inside_a_continuation() {
        let ls = logical_lines("location l d1 \\\n# note\n\trule x: defined y\nnext", 1);
        assert_eq!(ls.len(), 2);
        assert!(ls[0].text.contains("rule"), "{}", ls[0].text);
    }

    #[test]
    fn smart_quotes_are_named() {
        let l = &logical_lines("property a=”x″", 3)[0];
        let e = tokenize(l).unwrap_err();
        assert_eq!(e.loc(), Loc { line: 3, col: 12 });
        assert!(e.to_string().contains('”'), "{e}");
        assert!(e.to_string().contains("straight"), "{e}");
        // inside straight quotes they are data
        let l = &logical_lines("meta description=\"a “b”\"", 1)[0];
        assert!(tokenize(l).is_ok());
    }

    #[test]
    fn unclosed_quote() {
        let l = &logical_lines("primitive d1 Dummy params fake=\"abc", 2)[0];
        let e = tokenize(l).unwrap_err();
        assert_eq!(e.loc(), Loc { line: 2, col: 32 });
    }
}
