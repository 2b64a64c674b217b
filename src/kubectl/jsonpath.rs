//! kubectl's JSONPath templates (`-o jsonpath=…`, `-o custom-columns=…`), after
//! k8s.io/client-go/util/jsonpath: literal text around `{…}` actions; an action is a path
//! (`.a.b`, `$`, `..name`, `*`, `[n]`, `[a:b]`, `[*]`, `['x','y']`, `[?(@.k == "v")]`),
//! quoted text (`{"\n"}`), or `range PATH` … `end`. Missing keys print nothing, as kubectl's
//! `--allow-missing-template-keys=true` default has it. Not modelled: step in slices
//! (`[a:b:c]`), `jsonpath-as-json`, and the Go template printers.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    source: String,
    nodes: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Text(String),
    Path(Vec<Step>),
    Range(Vec<Step>, Vec<Node>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// `.name`; `*` is every field.
    Field(String),
    /// `..name`: every descendant field of that name.
    Recursive(String),
    /// A bare word other than `range` and `end`: an error when run, as upstream's.
    Identifier(String),
    /// `[n]`: one element, negative from the end.
    Index(i64),
    /// `[a:b]`, `[*]` (both open).
    Slice(Option<i64>, Option<i64>),
    /// `[0,2]`, `['a','b']`: each a path of its own.
    Union(Vec<Vec<Step>>),
    Filter(Filter),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Filter {
    left: Operand,
    /// None: `[?(@.x)]`, the field exists.
    test: Option<(Op, Operand)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Operand {
    Path(Vec<Step>),
    Literal(Value),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Template {
    /// Parses a template; the error reads as kubectl prints it.
    pub fn parse(source: &str) -> Result<Template, String> {
        let nodes = parse_template(source).map_err(|e| format!("error: error parsing jsonpath {source}, {e}"))?;
        Ok(Template { source: source.to_string(), nodes })
    }

    /// What `kubectl get -o jsonpath` prints for `doc`.
    pub fn execute(&self, doc: &Value) -> Result<String, String> {
        let mut out = String::new();
        run(&self.nodes, doc, &mut out)
            .map_err(|e| format!("error: error executing jsonpath {:?}: Error executing template: {e}", self.source))?;
        Ok(out)
    }

    /// The values the paths select, each as Go's `%v` prints it (custom-columns joins them).
    pub fn values(&self, doc: &Value) -> Result<Vec<String>, String> {
        let mut all = Vec::new();
        for node in &self.nodes {
            if let Node::Path(steps) = node {
                all.extend(select(steps, doc).map_err(|e| format!("error: {e}"))?.into_iter().map(go_value));
            }
        }
        Ok(all)
    }
}

/// A custom-columns expression as kubectl relaxes it: `.a.b`, `a.b` and `{.a.b}` alike.
pub fn relaxed(expr: &str) -> Result<Template, String> {
    let inner = expr.trim().trim_start_matches('{').trim_end_matches('}');
    let path = if inner.starts_with('.') || inner.starts_with('$') { inner.to_string() } else { format!(".{inner}") };
    Template::parse(&format!("{{{path}}}"))
}

fn run(nodes: &[Node], cur: &Value, out: &mut String) -> Result<(), String> {
    for node in nodes {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Path(steps) => {
                let found = select(steps, cur)?;
                for (i, v) in found.into_iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(&text(v));
                }
            }
            Node::Range(steps, body) => {
                let found = select(steps, cur)?;
                // `range .items` walks the list's elements, as `range .items[*]` does.
                let items: Vec<&Value> = match found.as_slice() {
                    [Value::Array(a)] if matches!(steps.last(), Some(Step::Field(_))) => a.iter().collect(),
                    _ => found,
                };
                for item in items {
                    run(body, item, out)?;
                }
            }
        }
    }
    Ok(())
}

/// Strings as they are; everything else as JSON (`{.metadata.labels}` prints an object).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Go's `%v` of a decoded JSON value: `map[k:v]`, `[a b]`, `<nil>`.
fn go_value(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) => format!("[{}]", a.iter().map(go_value).collect::<Vec<_>>().join(" ")),
        Value::Object(m) => {
            format!("map[{}]", m.iter().map(|(k, v)| format!("{k}:{}", go_value(v))).collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    }
}

fn select<'a>(steps: &[Step], cur: &'a Value) -> Result<Vec<&'a Value>, String> {
    let mut set = vec![cur];
    for step in steps {
        let mut next = Vec::new();
        for v in set {
            apply(step, v, &mut next)?;
        }
        set = next;
    }
    Ok(set)
}

fn apply<'a>(step: &Step, v: &'a Value, out: &mut Vec<&'a Value>) -> Result<(), String> {
    match step {
        Step::Field(name) if name == "*" => match v {
            Value::Object(m) => out.extend(m.values()),
            Value::Array(a) => out.extend(a.iter()),
            _ => {}
        },
        Step::Field(name) => {
            if let Some(f) = v.as_object().and_then(|m| m.get(name)) {
                out.push(f);
            }
        }
        Step::Recursive(name) => descend(v, name, out),
        Step::Identifier(word) => return Err(format!("unrecognized identifier {word}")),
        Step::Index(i) => out.extend(elements(v, Some(*i), Some(i + 1), true)?),
        Step::Slice(from, to) => out.extend(elements(v, *from, *to, false)?),
        Step::Union(paths) => {
            for path in paths {
                out.extend(select(path, v)?);
            }
        }
        Step::Filter(f) => {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for item in items {
                if f.holds(item)? {
                    out.push(item);
                }
            }
        }
    }
    Ok(())
}

/// `[from:to]` of a list, bounds checked as upstream's evalArray checks them; `[i]` is
/// `[i:i+1]` with its end derived (so `[-1]` is the last element).
fn elements(v: &Value, from: Option<i64>, to: Option<i64>, derived: bool) -> Result<&[Value], String> {
    let a = match v {
        Value::Array(a) => a,
        Value::Null => return Ok(&[]),
        Value::Object(_) => return Err("map[string]interface {} is not array or slice".into()),
        Value::String(_) => return Err("string is not array or slice".into()),
        Value::Number(_) => return Err("float64 is not array or slice".into()),
        Value::Bool(_) => return Err("bool is not array or slice".into()),
    };
    let len = a.len() as i64;
    let mut start = from.unwrap_or(0);
    if start < 0 {
        start += len;
    }
    let mut end = to.unwrap_or(len);
    if end < 0 || (end == 0 && derived) {
        end += len;
    }
    // Asking for no elements is allowed through.
    if start == end {
        return Ok(&[]);
    }
    if start < 0 || start >= len {
        return Err(format!("array index out of bounds: index {start}, length {len}"));
    }
    if end < 0 || end > len {
        return Err(format!("array index out of bounds: index {}, length {len}", end - 1));
    }
    if start > end {
        return Err(format!("starting index {start} is greater than ending index {end}"));
    }
    Ok(&a[start as usize..end as usize])
}

fn descend<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if let Some(f) = m.get(name) {
                out.push(f);
            }
            for child in m.values() {
                descend(child, name, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|child| descend(child, name, out)),
        _ => {}
    }
}

impl Filter {
    fn holds(&self, item: &Value) -> Result<bool, String> {
        let left = self.left.values(item)?;
        let Some((op, right)) = &self.test else { return Ok(!left.is_empty()) };
        let right = right.values(item)?;
        Ok(left.iter().any(|l| right.iter().any(|r| compare(l, *op, r))))
    }
}

impl Operand {
    fn values<'a>(&'a self, item: &'a Value) -> Result<Vec<&'a Value>, String> {
        match self {
            Operand::Path(steps) => select(steps, item),
            Operand::Literal(v) => Ok(vec![v]),
        }
    }
}

/// Numbers compare as numbers, strings as strings; other pairs only for (in)equality.
fn compare(l: &Value, op: Op, r: &Value) -> bool {
    let order = match (l, r) {
        (Value::Number(a), Value::Number(b)) => a.as_f64().zip(b.as_f64()).and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => (l == r).then_some(std::cmp::Ordering::Equal),
    };
    use std::cmp::Ordering::*;
    match op {
        Op::Eq => order == Some(Equal),
        Op::Ne => order != Some(Equal),
        Op::Lt => order == Some(Less),
        Op::Le => matches!(order, Some(Less | Equal)),
        Op::Gt => order == Some(Greater),
        Op::Ge => matches!(order, Some(Greater | Equal)),
    }
}

// ---------------------------------------------------------------- parsing

fn parse_template(source: &str) -> Result<Vec<Node>, String> {
    let chars: Vec<char> = source.chars().collect();
    // Open ranges: the range's path and the nodes before it.
    let mut stack: Vec<(Vec<Step>, Vec<Node>)> = Vec::new();
    let mut nodes = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '{' {
            text.push(chars[i]);
            i += 1;
            continue;
        }
        if !text.is_empty() {
            nodes.push(Node::Text(std::mem::take(&mut text)));
        }
        let end = action_end(&chars, i + 1)?;
        let action: String = chars[i + 1..end].iter().collect();
        i = end + 1;
        let action = action.trim();
        if action == "end" {
            let Some((path, before)) = stack.pop() else { return Err("not in range, nothing to end".into()) };
            let body = std::mem::replace(&mut nodes, before);
            nodes.push(Node::Range(path, body));
        } else if let Some(path) = action.strip_prefix("range ") {
            stack.push((parse_path(path.trim())?, std::mem::take(&mut nodes)));
        } else if action.starts_with('"') || action.starts_with('\'') {
            let (t, rest) = quoted(action)?;
            if !rest.trim().is_empty() {
                return Err(format!("unrecognized character in action: {:?}", rest.trim()));
            }
            nodes.push(Node::Text(t));
        } else if !action.is_empty() {
            nodes.push(Node::Path(parse_path(action)?));
        }
    }
    if !text.is_empty() {
        nodes.push(Node::Text(text));
    }
    if !stack.is_empty() {
        return Err("unclosed range, expect {end}".into());
    }
    Ok(nodes)
}

/// The index of the `}` closing an action opened before `from` (quotes may hold braces).
fn action_end(chars: &[char], from: usize) -> Result<usize, String> {
    let mut quote = None;
    let mut i = from;
    while i < chars.len() {
        match (quote, chars[i]) {
            (Some(_), '\\') => i += 1,
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(chars[i]),
            (None, '}') => return Ok(i),
            _ => {}
        }
        i += 1;
    }
    Err("unclosed action".into())
}

/// A quoted string at the start of `s` (Go's escapes \n \t \\ \" \'), and what follows it.
fn quoted(s: &str) -> Result<(String, &str), String> {
    let mut chars = s.char_indices();
    let Some((_, q)) = chars.next() else { return Err("unterminated quoted string".into()) };
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(e @ ('\\' | '"' | '\'')) => out.push(e),
                Some(e) => return Err(format!("invalid escape sequence \\{e}")),
                None => break,
            },
            c if c == q => return Ok((out, &s[i + c.len_utf8()..])),
            c => out.push(c),
        }
    }
    Err("unterminated quoted string".into())
}

fn parse_path(s: &str) -> Result<Vec<Step>, String> {
    PathParser { s, at: 0 }.steps(false)
}

struct PathParser<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> PathParser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.at..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Steps until the end, or (inside a filter) until an operator or `)`.
    fn steps(&mut self, in_filter: bool) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        while let Some(c) = self.peek() {
            match c {
                '$' | '@' | ' ' | '\t' => self.at += 1,
                '.' if self.rest().starts_with("..") => {
                    self.at += 2;
                    steps.push(Step::Recursive(self.name(in_filter)));
                }
                '.' => {
                    self.at += 1;
                    // `{.}` and `{@}` select the current value.
                    let name = self.name(in_filter);
                    if !name.is_empty() {
                        steps.push(Step::Field(name));
                    }
                }
                '[' => steps.extend(self.bracket()?),
                c if in_filter && "=!<>)".contains(c) => break,
                c if c == '_' || c.is_alphanumeric() => steps.push(Step::Identifier(self.name(in_filter))),
                c => return Err(format!("unrecognized character in action: U+{:04X} {c:?}", c as u32)),
            }
        }
        Ok(steps)
    }

    /// A field name: up to the next terminator (`\\` escapes one, as in
    /// `.annotations.kubernetes\\.io/name`); `*` is every field.
    fn name(&mut self, in_filter: bool) -> String {
        let mut name = String::new();
        let mut chars = self.rest().char_indices();
        let mut end = self.rest().len();
        while let Some((i, c)) = chars.next() {
            if c == '\\' {
                if let Some((_, e)) = chars.next() {
                    name.push(e);
                }
                continue;
            }
            if " \t\r\n.,[]$@{}".contains(c) || (in_filter && "=!<>)".contains(c)) {
                end = i;
                break;
            }
            name.push(c);
        }
        self.at += end;
        name
    }

    /// `[…]` after the `[`: an index, a slice, a union, a quoted key or a filter.
    fn bracket(&mut self) -> Result<Vec<Step>, String> {
        self.at += 1;
        if self.rest().starts_with("?(") {
            self.at += 2;
            let filter = self.filter()?;
            if !self.rest().starts_with(')') {
                return Err("unterminated filter".into());
            }
            if !self.rest().starts_with(")]") {
                return Err("unclosed array expect ]".into());
            }
            self.at += 2;
            return Ok(vec![Step::Filter(filter)]);
        }
        let close = self.bracket_end().ok_or("unterminated array")?;
        let inner = self.rest()[..close].to_string();
        self.at += close + 1;
        let mut parts = Vec::new();
        for part in split_union(&inner) {
            parts.push(subscript(part.trim())?);
        }
        match parts.len() {
            1 => Ok(parts.remove(0)),
            _ => Ok(vec![Step::Union(parts)]),
        }
    }

    /// Where the `]` of this bracket is, past quoted names.
    fn bracket_end(&self) -> Option<usize> {
        let mut quote = None;
        for (i, c) in self.rest().char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (None, '\'' | '"') => quote = Some(c),
                (None, ']') => return Some(i),
                _ => {}
            }
        }
        None
    }

    fn filter(&mut self) -> Result<Filter, String> {
        let left = self.operand()?;
        self.skip_spaces();
        let op = [("==", Op::Eq), ("!=", Op::Ne), ("<=", Op::Le), (">=", Op::Ge), ("<", Op::Lt), (">", Op::Gt)]
            .into_iter()
            .find(|(t, _)| self.rest().starts_with(t));
        let Some((token, op)) = op else { return Ok(Filter { left, test: None }) };
        self.at += token.len();
        self.skip_spaces();
        let right = self.operand()?;
        self.skip_spaces();
        Ok(Filter { left, test: Some((op, right)) })
    }

    fn skip_spaces(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.s.len() - trimmed.len();
    }

    fn operand(&mut self) -> Result<Operand, String> {
        self.skip_spaces();
        match self.peek() {
            Some('\'' | '"') => {
                let (t, rest) = quoted(self.rest())?;
                self.at = self.s.len() - rest.len();
                Ok(Operand::Literal(Value::String(t)))
            }
            Some(c) if c.is_ascii_digit() || c == '-' => {
                let len = self
                    .rest()
                    .find(|c: char| !(c.is_ascii_digit() || ".-eE+".contains(c)))
                    .unwrap_or(self.rest().len());
                let n: f64 =
                    self.rest()[..len].parse().map_err(|_| format!("invalid number {:?}", &self.rest()[..len]))?;
                self.at += len;
                Ok(Operand::Literal(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)))
            }
            Some('t') if self.rest().starts_with("true") => {
                self.at += 4;
                Ok(Operand::Literal(Value::Bool(true)))
            }
            Some('f') if self.rest().starts_with("false") => {
                self.at += 5;
                Ok(Operand::Literal(Value::Bool(false)))
            }
            Some('@' | '$' | '.') => Ok(Operand::Path(self.steps(true)?)),
            _ => Err("unterminated filter".into()),
        }
    }
}

/// `a,b` of a union, commas inside quotes kept.
fn split_union(inner: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quote = None;
    for c in inner.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => quote = Some(c),
            (None, ',') => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// One subscript: `*`, `n`, `a:b`, or a quoted key (read as the path `.key`, so
/// `['metadata.name']` is `.metadata.name`, as upstream reads it).
fn subscript(s: &str) -> Result<Vec<Step>, String> {
    let number = |t: &str| -> Result<Option<i64>, String> {
        let t = t.trim();
        if t.is_empty() {
            return Ok(None);
        }
        t.parse().map(Some).map_err(|_| format!("invalid array index {s}"))
    };
    if s == "*" {
        return Ok(vec![Step::Slice(None, None)]);
    }
    if s.starts_with('\'') || s.starts_with('"') {
        let (name, rest) = quoted(s)?;
        if !rest.trim().is_empty() {
            return Err(format!("invalid array index {s}"));
        }
        return parse_path(&format!(".{name}"));
    }
    match s.split(':').collect::<Vec<_>>().as_slice() {
        [one] => number(one)?.map(|i| vec![Step::Index(i)]).ok_or_else(|| format!("invalid array index {s}")),
        [from, to] => Ok(vec![Step::Slice(number(from)?, number(to)?)]),
        _ => Err(format!("steps in array slices are not modelled: [{s}]")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list() -> Value {
        json!({"kind": "List", "items": [
            {"metadata": {"name": "web-1", "labels": {"app": "web"}}, "spec": {"nodeName": "worker-1"},
             "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}], "restarts": 0}},
            {"metadata": {"name": "web-2"}, "spec": {"nodeName": "worker-2"},
             "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}], "restarts": 3}},
        ]})
    }

    fn run(t: &str) -> String {
        Template::parse(t).unwrap().execute(&list()).unwrap()
    }

    #[test]
    fn paths_lists_and_text_print_like_kubectl() {
        assert_eq!(run("{.items[*].metadata.name}"), "web-1 web-2");
        assert_eq!(run("{.items[0].metadata.labels}"), r#"{"app":"web"}"#);
        assert_eq!(run("{.items[-1].spec.nodeName}"), "worker-2");
        assert_eq!(run("{.items[0:1].metadata.name}"), "web-1");
        assert_eq!(run("{.items[-2:].metadata.name}"), "web-1 web-2");
        assert_eq!(run("{.items[1:1].metadata.name}"), "", "no elements asked for");
        assert_eq!(run("{..nodeName}"), "worker-1 worker-2");
        assert_eq!(run("names: {.items[*]['metadata.name']}"), "names: web-1 web-2");
        assert_eq!(run("{.items[0].metadata.labels.app\\.kubernetes}{.items[1]['spec', 'status'].phase}"), "Pending");
        assert_eq!(run("{.items[0].metadata['name']}"), "web-1");
        assert_eq!(run("{$.kind}/{@.items[1].status.restarts}"), "List/3");
        assert_eq!(run("{.missing.field}"), "", "missing keys print nothing");
    }

    #[test]
    fn range_and_filters() {
        let t = r#"{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}"#;
        assert_eq!(run(t), "web-1\tRunning\nweb-2\tPending\n");
        assert_eq!(run(r#"{.items[?(@.status.phase=="Running")].metadata.name}"#), "web-1");
        assert_eq!(run("{.items[?(@.status.restarts > 1)].metadata.name}"), "web-2");
        assert_eq!(run("{.items[?(@.metadata.labels)].metadata.name}"), "web-1");
        let ready = r#"{range .items[*]}{.status.conditions[?(@.type=='Ready')].status}{" "}{end}"#;
        assert_eq!(run(ready), "True False ");
    }

    #[test]
    fn bad_templates_are_kubectls_errors() {
        let e = |t: &str| Template::parse(t).unwrap_err();
        assert_eq!(e("{.items[*}"), "error: error parsing jsonpath {.items[*}, unterminated array");
        assert_eq!(e("{.items"), "error: error parsing jsonpath {.items, unclosed action");
        assert_eq!(
            e("{range .items[*]}{.x}"),
            "error: error parsing jsonpath {range .items[*]}{.x}, unclosed range, expect {end}"
        );
        assert_eq!(e("{end}"), "error: error parsing jsonpath {end}, not in range, nothing to end");
        assert_eq!(e("{%}"), "error: error parsing jsonpath {%}, unrecognized character in action: U+0025 '%'");
        assert_eq!(e("{.a[x]}"), "error: error parsing jsonpath {.a[x]}, invalid array index x");
        let bare = Template::parse("{metadata.name}").unwrap().execute(&list()).unwrap_err();
        assert!(bare.ends_with("unrecognized identifier metadata"), "{bare}");
        assert!(e(r#"{.items[?(@.a=="x"]}"#).ends_with("unterminated filter"));
        assert!(e(r#"{.items[?(@.a=="x")}"#).ends_with("unclosed array expect ]"));
        let fails = |t: &str| Template::parse(t).unwrap().execute(&list()).unwrap_err();
        assert!(fails("{.items[0:3]}").ends_with("array index out of bounds: index 2, length 2"));
        assert!(fails("{.items[1:0]}").ends_with("starting index 1 is greater than ending index 0"));
        assert!(fails("{.kind[0]}").ends_with("string is not array or slice"));
        let out = Template::parse("{.items[5]}").unwrap().execute(&list()).unwrap_err();
        assert_eq!(
            out,
            "error: error executing jsonpath \"{.items[5]}\": Error executing template: array index out of bounds: index 5, length 2"
        );
    }

    #[test]
    fn no_template_panics() {
        // Every string of a seeded stream over the syntax's characters: parsed, and run when it
        // parses, without a panic.
        let alphabet: Vec<char> = "{}[]().,*?@$'\"\\ =<>!:-1aé".chars().collect();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut t = String::from("{");
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for k in 0..(x % 12) {
                t.push(alphabet[((x >> (k * 5)) % alphabet.len() as u64) as usize]);
            }
            let _ = Template::parse(&t).map(|t| t.execute(&list()));
        }
    }

    #[test]
    fn custom_column_expressions_are_relaxed() {
        for e in [".metadata.name", "metadata.name", "{.metadata.name}"] {
            assert_eq!(relaxed(e).unwrap().values(&list()["items"][0]).unwrap(), ["web-1"]);
        }
        let labels = relaxed(".metadata.labels").unwrap().values(&list()["items"][0]).unwrap();
        assert_eq!(labels, ["map[app:web]"]);
    }
}
