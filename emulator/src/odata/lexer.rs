//! The `$filter` lexer: parentheses, commas, quoted strings and bare words.

use super::error::FilterError;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    Comma,
    Str(String),
    /// A bare word: identifier, keyword, number, GUID or date-time; classified by the parser.
    Word(String),
}

#[derive(Clone, Debug)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) at: usize,
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '+' | '-' | '/' | '$' | '@')
}

pub(super) fn lex(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token {
                    tok: Tok::LParen,
                    at,
                });
            }
            ')' => {
                chars.next();
                out.push(Token {
                    tok: Tok::RParen,
                    at,
                });
            }
            ',' => {
                chars.next();
                out.push(Token {
                    tok: Tok::Comma,
                    at,
                });
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) => {
                            if matches!(chars.peek(), Some((_, '\''))) {
                                chars.next();
                                s.push('\'');
                            } else {
                                break;
                            }
                        }
                        Some((_, ch)) => s.push(ch),
                        None => {
                            return Err(FilterError::new(format!(
                                "Syntax error: unterminated string literal at position {at} in '{input}'."
                            )));
                        }
                    }
                }
                out.push(Token {
                    tok: Tok::Str(s),
                    at,
                });
            }
            c if is_word_char(c) => {
                let mut w = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if !is_word_char(ch) {
                        break;
                    }
                    w.push(ch);
                    chars.next();
                }
                out.push(Token {
                    tok: Tok::Word(w),
                    at,
                });
            }
            other => {
                return Err(FilterError::new(format!(
                    "Syntax error: character '{other}' is not valid at position {at} in '{input}'."
                )));
            }
        }
    }
    Ok(out)
}

/// Whether `s` is a GUID: 8-4-4-4-12 hex digits.
pub(super) fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(super) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
