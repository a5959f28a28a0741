//! A command line split into argv the way a POSIX shell splits one simple command — what Dokku
//! does with `mvdan.cc/sh`'s `shell.Fields` for cron commands and with procfile-util's expansion
//! plus shell quoting for Procfile entries: single and double quotes, backslashes, parameter
//! expansion from the app's config (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
//! `${VAR:+alt}`, `${#VAR}`, …) and field splitting of unquoted expansions. What only a shell can
//! run (operators, redirections, command substitution) is reported naming the character, so the
//! caller can refuse it or hand the line to a shell.

/// Why a command line is not a sequence of words. `Display` names the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WordsError {
    #[error("unbalanced quotes (a {0} quote is not closed)")]
    UnclosedQuote(&'static str),
    #[error("a trailing backslash escapes nothing")]
    TrailingBackslash,
    #[error("\"${{\" is not closed with \"}}\"")]
    UnclosedBrace,
    #[error("bad substitution \"${{{0}}}\"")]
    BadSubstitution(String),
    /// `;`, `&&`, `|`, `>`, … : needs a shell.
    #[error("the shell operator {0:?} needs a shell")]
    Operator(String),
    /// `$(…)`, `` `…` ``, `$((…))`: needs a shell.
    #[error("command substitution {0:?} needs a shell")]
    Substitution(&'static str),
}

impl WordsError {
    /// Operators and substitutions are valid shell, just not a simple command; the rest is
    /// malformed whatever runs it.
    pub fn needs_shell(&self) -> bool {
        matches!(self, WordsError::Operator(_) | WordsError::Substitution(_))
    }
}

/// Split `command` into words, expanding parameters through `var` (`None`: unset).
pub fn split(
    command: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<String>, WordsError> {
    let chars: Vec<char> = command.chars().collect();
    let mut p = Parser {
        chars: &chars,
        pos: 0,
        var,
    };
    p.words()
}

/// [`split`] with the variables of a map (what berth has: the app's config, plus `PORT`).
pub fn split_with(
    command: &str,
    vars: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<String>, WordsError> {
    split(command, &|name| vars.get(name).cloned())
}

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
    var: &'a dyn Fn(&str) -> Option<String>,
}

/// The word being built: `None` until something (even `""`) starts it.
#[derive(Default)]
struct Word(Option<String>);

impl Word {
    fn push(&mut self, c: char) {
        self.0.get_or_insert_with(String::new).push(c);
    }
    fn push_str(&mut self, s: &str) {
        self.0.get_or_insert_with(String::new).push_str(s);
    }
    fn start(&mut self) {
        self.0.get_or_insert_with(String::new);
    }
    fn finish(&mut self, out: &mut Vec<String>) {
        if let Some(w) = self.0.take() {
            out.push(w);
        }
    }
}

fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }

    fn words(&mut self) -> Result<Vec<String>, WordsError> {
        let mut out = Vec::new();
        let mut word = Word::default();
        while let Some(c) = self.peek() {
            match c {
                c if is_blank(c) => {
                    self.pos += 1;
                    word.finish(&mut out);
                }
                '#' if word.0.is_none() => break, // a comment runs to the end
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(WordsError::TrailingBackslash),
                        Some('\n') => self.pos += 1, // line continuation
                        Some(n) => {
                            self.pos += 1;
                            word.push(n);
                        }
                    }
                }
                '\'' => {
                    self.pos += 1;
                    word.start();
                    loop {
                        match self.peek() {
                            None => return Err(WordsError::UnclosedQuote("single")),
                            Some('\'') => {
                                self.pos += 1;
                                break;
                            }
                            Some(n) => {
                                self.pos += 1;
                                word.push(n);
                            }
                        }
                    }
                }
                '"' => {
                    self.pos += 1;
                    word.start();
                    let text = self.double_quoted()?;
                    word.push_str(&text);
                }
                '$' => {
                    self.pos += 1;
                    match self.dollar()? {
                        Expansion::Literal(s) => word.push_str(&s),
                        // Unquoted: the value is split into fields on blanks.
                        Expansion::Value(v) => {
                            for ch in v.chars() {
                                if is_blank(ch) {
                                    word.finish(&mut out);
                                } else {
                                    word.push(ch);
                                }
                            }
                        }
                    }
                }
                '`' => return Err(WordsError::Substitution("`…`")),
                ';' | '&' | '|' | '<' | '>' | '(' | ')' => {
                    let mut op = c.to_string();
                    if let Some(n) = self.peek_at(1)
                        && matches!(
                            (c, n),
                            ('&', '&') | ('|', '|') | ('>', '>') | ('<', '<') | (';', ';')
                        )
                    {
                        op.push(n);
                    }
                    return Err(WordsError::Operator(op));
                }
                _ => {
                    self.pos += 1;
                    word.push(c);
                }
            }
        }
        word.finish(&mut out);
        Ok(out)
    }

    /// The inside of `"…"` (the opening quote consumed), expanded, without field splitting.
    fn double_quoted(&mut self) -> Result<String, WordsError> {
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(WordsError::UnclosedQuote("double")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None => return Err(WordsError::UnclosedQuote("double")),
                        Some(n @ ('$' | '`' | '"' | '\\')) => {
                            self.pos += 1;
                            text.push(n);
                        }
                        Some('\n') => self.pos += 1,
                        Some(_) => text.push('\\'),
                    }
                }
                Some('$') => {
                    self.pos += 1;
                    match self.dollar()? {
                        Expansion::Literal(s) | Expansion::Value(s) => text.push_str(&s),
                    }
                }
                Some('`') => return Err(WordsError::Substitution("`…`")),
                Some(c) => {
                    self.pos += 1;
                    text.push(c);
                }
            }
        }
    }

    /// After a `$`: a parameter expansion, or a literal `$`.
    fn dollar(&mut self) -> Result<Expansion, WordsError> {
        match self.peek() {
            Some('(') => Err(WordsError::Substitution(if self.peek_at(1) == Some('(') {
                "$((…))"
            } else {
                "$(…)"
            })),
            Some('{') => {
                self.pos += 1;
                let inner = self.braced()?;
                Ok(Expansion::Value(self.parameter(&inner)?))
            }
            Some(c) if is_name_start(c) => {
                let start = self.pos;
                while self.peek().is_some_and(is_name_char) {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                Ok(Expansion::Value((self.var)(&name).unwrap_or_default()))
            }
            // Positional and special parameters: a command has none.
            Some(c)
                if c.is_ascii_digit() || matches!(c, '@' | '*' | '#' | '?' | '$' | '!' | '-') =>
            {
                self.pos += 1;
                Ok(Expansion::Value(String::new()))
            }
            _ => Ok(Expansion::Literal("$".to_owned())),
        }
    }

    /// The text of `${…}` up to its matching `}` (the `${` consumed), quotes and nesting honoured.
    fn braced(&mut self) -> Result<String, WordsError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            self.pos += 1;
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some('"'), '\\') | (None, '\\') => self.pos += 1,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '{') => depth += 1,
                (None, '}') if depth == 0 => {
                    return Ok(self.chars[start..self.pos - 1].iter().collect());
                }
                (None, '}') => depth -= 1,
                _ => {}
            }
        }
        Err(WordsError::UnclosedBrace)
    }

    /// Evaluate the inside of `${…}`.
    fn parameter(&self, inner: &str) -> Result<String, WordsError> {
        let bad = || WordsError::BadSubstitution(inner.to_owned());
        if let Some(name) = inner.strip_prefix('#')
            && !name.is_empty()
            && name.chars().all(is_name_char)
        {
            let len = (self.var)(name).unwrap_or_default().chars().count();
            return Ok(len.to_string());
        }
        let name_len = inner.chars().take_while(|c| is_name_char(*c)).count();
        let (name, rest) = inner.split_at(name_len);
        if name.is_empty() || !name.starts_with(is_name_start) {
            return Err(bad());
        }
        let value = (self.var)(name);
        if rest.is_empty() {
            return Ok(value.unwrap_or_default());
        }
        let (colon, rest) = match rest.strip_prefix(':') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let mut ops = rest.chars();
        let op = ops.next().ok_or_else(bad)?;
        let word = ops.as_str();
        // `:` forms treat an empty value like an unset one.
        let set = match &value {
            None => false,
            Some(v) => !(colon && v.is_empty()),
        };
        match op {
            '-' | '=' => {
                if set {
                    Ok(value.unwrap_or_default())
                } else {
                    self.expand_word(word)
                }
            }
            '+' => {
                if set {
                    self.expand_word(word)
                } else {
                    Ok(String::new())
                }
            }
            // `${VAR:?message}` would stop a shell; a command has no better answer than empty.
            '?' => Ok(value.unwrap_or_default()),
            _ => Err(bad()),
        }
    }

    /// The `word` of `${VAR:-word}`: quotes removed, parameters expanded, no field splitting.
    fn expand_word(&self, word: &str) -> Result<String, WordsError> {
        let chars: Vec<char> = word.chars().collect();
        let mut p = Parser {
            chars: &chars,
            pos: 0,
            var: self.var,
        };
        let mut text = String::new();
        while let Some(c) = p.peek() {
            match c {
                '\\' => {
                    p.pos += 1;
                    if let Some(n) = p.peek() {
                        p.pos += 1;
                        text.push(n);
                    }
                }
                '\'' => {
                    p.pos += 1;
                    while let Some(n) = p.peek() {
                        p.pos += 1;
                        if n == '\'' {
                            break;
                        }
                        text.push(n);
                    }
                }
                '"' => {
                    p.pos += 1;
                    text.push_str(&p.double_quoted()?);
                }
                '$' => {
                    p.pos += 1;
                    match p.dollar()? {
                        Expansion::Literal(s) | Expansion::Value(s) => text.push_str(&s),
                    }
                }
                _ => {
                    p.pos += 1;
                    text.push(c);
                }
            }
        }
        Ok(text)
    }
}

enum Expansion {
    /// Text that is not subject to field splitting (a lone `$`).
    Literal(String),
    /// A parameter's value.
    Value(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn vars() -> BTreeMap<String, String> {
        BTreeMap::from([
            ("PORT".to_owned(), "5000".to_owned()),
            ("EMPTY".to_owned(), String::new()),
            ("SPACED".to_owned(), "a  b".to_owned()),
            ("QUOTE".to_owned(), "it's".to_owned()),
        ])
    }

    fn words(s: &str) -> Vec<String> {
        split_with(s, &vars()).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn quotes_backslashes_and_blanks() {
        assert_eq!(
            words("  a  'b c'  \"d e\" f\\ g "),
            ["a", "b c", "d e", "f g"]
        );
        assert_eq!(words("a '' \"\""), ["a", "", ""]);
        assert_eq!(words(r#"echo "a\"b\$c\d""#), ["echo", "a\"b$c\\d"]);
        assert_eq!(words("echo 'it''s'"), ["echo", "its"]);
        assert_eq!(words("run # a comment"), ["run"]);
        assert_eq!(words("a#b"), ["a#b"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn parameters_expand_from_the_config_with_default_forms() {
        assert_eq!(
            words("sidekiq -c ${SIDEKIQ_CONCURRENCY:-5}"),
            ["sidekiq", "-c", "5"]
        );
        assert_eq!(words("bin/web -p $PORT"), ["bin/web", "-p", "5000"]);
        assert_eq!(
            words("x ${PORT}0 ${PORT:-1} ${PORT-1}"),
            ["x", "50000", "5000", "5000"]
        );
        assert_eq!(words("x ${EMPTY:-d} ${EMPTY-d}"), ["x", "d"]);
        assert_eq!(
            words("x ${UNSET-d} ${UNSET:=e} ${PORT:+alt} ${UNSET:+alt}"),
            ["x", "d", "e", "alt"]
        );
        assert_eq!(words("x ${#PORT} $UNSET \"$UNSET\""), ["x", "4", ""]);
        assert_eq!(words("x ${UNSET:-\"a b\"}"), ["x", "a", "b"]);
        assert_eq!(words("x \"${UNSET:-a b}\""), ["x", "a b"]);
        assert_eq!(words("x ${UNSET:-${PORT}}"), ["x", "5000"]);
        assert_eq!(words("x $SPACED \"$SPACED\""), ["x", "a", "b", "a  b"]);
        assert_eq!(words("x $QUOTE"), ["x", "it's"]);
        assert_eq!(
            words("x '$PORT' \\$PORT $ $1"),
            ["x", "$PORT", "$PORT", "$"]
        );
        assert_eq!(words("cost $5 is ${PORT}x"), ["cost", "is", "5000x"]);
    }

    #[test]
    fn shell_only_syntax_is_named() {
        for (cmd, op) in [
            ("a && b", "&&"),
            ("a; b", ";"),
            ("a | b", "|"),
            ("a > log", ">"),
            ("a >> log", ">>"),
            ("a &", "&"),
            ("(a)", "("),
        ] {
            let e = split_with(cmd, &vars()).unwrap_err();
            assert_eq!(e, WordsError::Operator(op.to_owned()), "{cmd}");
            assert!(e.needs_shell());
        }
        assert_eq!(
            split_with("a $(date)", &vars()).unwrap_err(),
            WordsError::Substitution("$(…)")
        );
        assert_eq!(
            split_with("a `date`", &vars()).unwrap_err(),
            WordsError::Substitution("`…`")
        );
        // Quoted, they are words.
        assert_eq!(
            words("echo 'a && b' \"c; d\" e\\|f"),
            ["echo", "a && b", "c; d", "e|f"]
        );
    }

    #[test]
    fn malformed_lines_are_errors() {
        for (cmd, e) in [
            ("echo 'x", WordsError::UnclosedQuote("single")),
            ("echo \"x", WordsError::UnclosedQuote("double")),
            ("echo x\\", WordsError::TrailingBackslash),
            ("echo ${X", WordsError::UnclosedBrace),
            ("echo ${}", WordsError::BadSubstitution(String::new())),
            ("echo ${X%y}", WordsError::BadSubstitution("X%y".to_owned())),
        ] {
            assert_eq!(split_with(cmd, &vars()).unwrap_err(), e, "{cmd}");
            assert!(!e.needs_shell());
        }
    }
}
