//! A lossless XML element tree with source positions.
//!
//! This is the bottom layer of the crate: [`parse`] turns XML text into an
//! [`Element`] tree that remembers where each element started (line and
//! column), and [`Element::to_xml`] writes it back out. Attribute order,
//! element order, text, comments and unknown names are all kept. Only
//! whitespace between elements is dropped, since it carries no meaning in a
//! CIB. [`Element::canonical`] gives the form two trees are compared in.
//!
//! The typed model in [`crate::model`] is built from this tree and lowered
//! back into it; the diff/patch code works on it directly, as Pacemaker's does.

use std::borrow::Cow;
use std::fmt::Write as _;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// A 1-based line and column in the source text. `Pos::default()` (0:0)
/// marks an element that was not read from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A child of an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A nested element.
    Element(Element),
    /// Character data (unescaped), not whitespace-only.
    Text(String),
    /// A comment's content, without `<!--` and `-->`.
    Comment(String),
}

/// One XML element: its name, attributes in source order, children, and where
/// it started in the source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Tag name.
    pub name: String,
    /// Attributes in the order they were written; values are unescaped.
    pub attrs: Vec<(String, String)>,
    /// Children in document order.
    pub children: Vec<Node>,
    /// Where the start tag began (`<`), or 0:0 when built in memory.
    pub pos: Pos,
}

/// Why XML text could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct XmlError {
    /// Where the problem was found.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

impl Element {
    /// An element with no attributes or children.
    pub fn new(name: impl Into<String>) -> Self {
        Element {
            name: name.into(),
            ..Default::default()
        }
    }

    /// Builder form of [`Element::set_attr`].
    pub fn with_attr(mut self, name: &str, value: impl Into<String>) -> Self {
        self.set_attr(name, value);
        self
    }

    /// Builder form of [`Element::push`].
    pub fn with_child(mut self, child: Element) -> Self {
        self.push(child);
        self
    }

    /// The value of attribute `name`, if present.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets attribute `name`, replacing its value in place or appending it.
    pub fn set_attr(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.attrs.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => *v = value,
            None => self.attrs.push((name.to_string(), value)),
        }
    }

    /// Removes attribute `name`, returning its value.
    pub fn remove_attr(&mut self, name: &str) -> Option<String> {
        let i = self.attrs.iter().position(|(k, _)| k == name)?;
        Some(self.attrs.remove(i).1)
    }

    /// Appends a child element.
    pub fn push(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    /// The child elements, in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The child elements, mutable, in order.
    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// The first child element called `name`, mutable.
    pub fn child_mut(&mut self, name: &str) -> Option<&mut Element> {
        self.elements_mut().find(|e| e.name == name)
    }

    /// The concatenated text content directly inside this element.
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Serialises the element as indented XML (two spaces per level, like
    /// `cibadmin`), without an XML declaration.
    pub fn to_xml(&self) -> String {
        let mut out = String::with_capacity(4096);
        self.write_to(&mut out, 0);
        out
    }

    fn write_to(&self, out: &mut String, depth: usize) {
        let children: Vec<&dyn XmlWrite> =
            self.children.iter().map(|n| n as &dyn XmlWrite).collect();
        write_element(
            out,
            depth,
            &self.name,
            self.attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            &children,
        );
    }

    /// A canonical one-element-per-line form used to compare two trees for
    /// equality of meaning: attributes sorted by name, text trimmed,
    /// comments kept, element order kept (order carries meaning in a CIB:
    /// resource order breaks allocation ties, op order and set order matter).
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        self.canonical_into(&mut out, 0);
        out
    }

    fn canonical_into(&self, out: &mut String, depth: usize) {
        indent(out, depth);
        out.push('<');
        out.push_str(&self.name);
        let mut attrs: Vec<_> = self.attrs.iter().collect();
        attrs.sort();
        for (k, v) in attrs {
            let _ = write!(out, " {k}=\"{}\"", escape_attr(v));
        }
        out.push_str(">\n");
        for n in &self.children {
            match n {
                Node::Element(e) => e.canonical_into(out, depth + 1),
                Node::Text(t) => {
                    indent(out, depth + 1);
                    let _ = writeln!(out, "#text {}", escape_text(t.trim()));
                }
                Node::Comment(c) => {
                    indent(out, depth + 1);
                    let _ = writeln!(out, "#comment {}", c.trim());
                }
            }
        }
    }

    /// Finds the first descendant-or-self element for which `pred` holds,
    /// depth first.
    pub fn find(&self, pred: &dyn Fn(&Element) -> bool) -> Option<&Element> {
        if pred(self) {
            return Some(self);
        }
        self.elements().find_map(|c| c.find(pred))
    }
}

/// Something that can be written as XML at a given indentation: an
/// [`Element`], a [`Node`], or a typed model struct (which writes itself
/// without first being copied into an [`Element`]).
pub trait XmlWrite {
    /// Appends the XML, indented by `depth` levels, ending with a newline.
    fn write_xml(&self, out: &mut String, depth: usize);
    /// Whether this is character data (which makes its parent be written
    /// on one line, so the text is kept exactly).
    fn is_text(&self) -> bool {
        false
    }
}

impl XmlWrite for Element {
    fn write_xml(&self, out: &mut String, depth: usize) {
        self.write_to(out, depth);
    }
}

impl XmlWrite for Node {
    fn write_xml(&self, out: &mut String, depth: usize) {
        match self {
            Node::Element(e) => e.write_to(out, depth),
            Node::Text(t) => out.push_str(&escape_text(t)),
            Node::Comment(c) => {
                indent(out, depth);
                let _ = writeln!(out, "<!--{c}-->");
            }
        }
    }
    fn is_text(&self) -> bool {
        matches!(self, Node::Text(_))
    }
}

/// Writes one element: its start tag with `attrs`, then `children`. An
/// element with text children is written on one line so the text is kept
/// exactly; pure element content is indented two spaces per level, as
/// `cibadmin` writes it.
pub fn write_element<'a>(
    out: &mut String,
    depth: usize,
    name: &str,
    attrs: impl Iterator<Item = (&'a str, &'a str)>,
    children: &[&dyn XmlWrite],
) {
    indent(out, depth);
    out.push('<');
    out.push_str(name);
    for (k, v) in attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        out.push_str(&escape_attr(v));
        out.push('"');
    }
    if children.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push('>');
    if children.iter().any(|c| c.is_text()) {
        for c in children {
            let mut inner = String::new();
            c.write_xml(&mut inner, 0);
            out.push_str(if c.is_text() { &inner } else { inner.trim() });
        }
    } else {
        out.push('\n');
        for c in children {
            c.write_xml(out, depth + 1);
        }
        indent(out, depth);
    }
    out.push_str("</");
    out.push_str(name);
    out.push_str(">\n");
}

fn indent(out: &mut String, depth: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = depth * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        out.push_str(&SPACES[..k]);
        n -= k;
    }
}

/// Escapes an attribute value for double-quoted output. Newlines and tabs are
/// written as character references so that they survive attribute-value
/// normalisation when read back.
pub fn escape_attr(v: &str) -> std::borrow::Cow<'_, str> {
    if !v
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\n' | b'\r' | b'\t'))
    {
        return std::borrow::Cow::Borrowed(v);
    }
    let mut s = String::with_capacity(v.len() + 8);
    for c in v.chars() {
        match c {
            '&' => s.push_str("&amp;"),
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '"' => s.push_str("&quot;"),
            '\n' => s.push_str("&#10;"),
            '\r' => s.push_str("&#13;"),
            '\t' => s.push_str("&#9;"),
            c => s.push(c),
        }
    }
    std::borrow::Cow::Owned(s)
}

fn escape_text(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Maps byte offsets in the source to 1-based line:column positions.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(src: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn pos(&self, src: &str, offset: usize) -> Pos {
        let offset = offset.min(src.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let column = src
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        Pos {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }
}

/// Parses XML text into its root element.
///
/// Errors name the line and column. A document must have exactly one root
/// element; the XML declaration, processing instructions and a DOCTYPE are
/// accepted and dropped.
pub fn parse(src: &str) -> Result<Element, XmlError> {
    parse_impl(src, None)
}

/// Parses XML text into its root element, for readers that only look at the
/// tree and care about its size: no source positions are kept (every
/// [`Element::pos`] but the root's is 0:0), comments are dropped, the
/// elements `divert` claims go to it instead of into the tree, and every
/// attribute and child list is trimmed to its length. Errors still name the
/// line and column. Use [`parse`] for anything that is written back.
pub fn parse_lean(src: &str, divert: &mut dyn Divert) -> Result<Element, XmlError> {
    parse_impl(src, Some(divert))
}

/// An attribute as a [`Divert`] sees it: name and unescaped value, borrowed
/// from the source where possible.
pub type Attr<'a> = (Cow<'a, str>, Cow<'a, str>);

/// A reader that takes chosen elements of a [`parse_lean`] out of the tree
/// and keeps them in a form of its own, which can be much smaller than an
/// [`Element`] (the policy engine reads resource histories this way).
pub trait Divert {
    /// Whether the element `name`, opening inside `open` (its ancestors,
    /// root first, each with the children read so far), goes to this reader,
    /// with everything inside it, instead of into the tree.
    fn claims(&mut self, open: &[Element], name: &str) -> bool;

    /// A start tag in a claimed element, in document order: its depth (0
    /// for the claimed element itself), name and attributes (unescaped, in
    /// source order). An `Err` stops the parse at this tag.
    fn element(&mut self, depth: usize, name: &str, attrs: &[Attr<'_>]) -> Result<(), String>;
}

/// Claims nothing: [`parse_lean`] builds the whole tree.
pub struct KeepAll;

impl Divert for KeepAll {
    fn claims(&mut self, _: &[Element], _: &str) -> bool {
        false
    }
    fn element(&mut self, _: usize, _: &str, _: &[Attr<'_>]) -> Result<(), String> {
        Ok(())
    }
}

fn parse_impl(src: &str, mut lean: Option<&mut dyn Divert>) -> Result<Element, XmlError> {
    // positions are computed eagerly only for the lossless tree
    let index = std::cell::OnceCell::new();
    let index = || index.get_or_init(|| LineIndex::new(src));
    let mut reader = Reader::from_str(src);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    // inside an element the divert claimed: how many of its elements are open
    let mut diverted: Option<usize> = None;
    let is_lean = lean.is_some();
    loop {
        let start = reader.buffer_position() as usize;
        let at = |off: usize| index().pos(src, off);
        let err = |off: usize, message: String| XmlError {
            pos: index().pos(src, off),
            message,
        };
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                return Err(err(reader.error_position() as usize, e.to_string()));
            }
        };
        // Whitespace before a tag belongs to the preceding text event, so
        // the tag itself starts at the first '<' at or after `start`.
        // the lean tree keeps the root element's position only
        let positions = !is_lean || (stack.is_empty() && root.is_none());
        let tag_at = |off: usize| {
            if !positions {
                return Pos::default();
            }
            let tag = off + src[off..].find('<').unwrap_or(0);
            if is_lean {
                // only the root's: index just the text before it
                return LineIndex::new(&src[..tag]).pos(src, tag);
            }
            at(tag)
        };
        let open = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) if is_lean => {
                let divert = lean.as_deref_mut().expect("lean parse");
                let depth = match diverted {
                    Some(d) => Some(d),
                    None => {
                        let name = text(src, e.name().into_inner());
                        divert.claims(&stack, &name).then_some(0)
                    }
                };
                if let Some(depth) = depth {
                    divert_element(src, &e, depth, divert, &|m| err(start, m))?;
                    diverted = if open { Some(depth + 1) } else { diverted };
                } else {
                    let el = element_from(src, &e, tag_at(start), true, &|m| err(start, m))?;
                    if open {
                        stack.push(el);
                    } else {
                        attach(&mut stack, &mut root, el, &|m| err(start, m))?;
                    }
                }
            }
            Event::Start(e) => {
                let el = element_from(src, &e, tag_at(start), false, &|m| err(start, m))?;
                stack.push(el);
            }
            Event::Empty(e) => {
                let el = element_from(src, &e, tag_at(start), false, &|m| err(start, m))?;
                attach(&mut stack, &mut root, el, &|m| err(start, m))?;
            }
            Event::End(_) if diverted.is_some() => {
                diverted = diverted.filter(|&d| d > 1).map(|d| d - 1);
            }
            Event::End(_) => {
                let mut el = stack
                    .pop()
                    .ok_or_else(|| err(start, "unexpected end tag".into()))?;
                if is_lean {
                    el.children.shrink_to_fit();
                }
                attach(&mut stack, &mut root, el, &|m| err(start, m))?;
            }
            // whitespace between elements carries no meaning
            Event::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
            Event::Text(t) => {
                let text = t
                    .unescape()
                    .map_err(|e| err(start, format!("bad text: {e}")))?;
                if !text.trim().is_empty() && diverted.is_none() {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Text(text.into_owned())),
                        None => {
                            return Err(err(start, "text outside the root element".into()));
                        }
                    }
                }
            }
            Event::CData(t) => {
                if diverted.is_some() {
                    continue;
                }
                let text = String::from_utf8_lossy(&t).into_owned();
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(Node::Text(text));
                }
            }
            Event::Comment(c) => {
                if is_lean {
                    continue;
                }
                if let Some(parent) = stack.last_mut() {
                    let text = String::from_utf8_lossy(&c).into_owned();
                    parent.children.push(Node::Comment(text));
                }
            }
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            pos: open.pos,
            message: format!("element <{}> is never closed", open.name),
        });
    }
    root.ok_or_else(|| XmlError {
        pos: Pos { line: 1, column: 1 },
        message: "no root element".into(),
    })
}

/// The attributes of a start tag, unescaped, checked as for the tree.
fn attributes<'a>(
    src: &'a str,
    e: &'a BytesStart<'_>,
    name: &str,
    err: &dyn Fn(String) -> XmlError,
) -> Result<Vec<Attr<'a>>, XmlError> {
    let mut attrs: Vec<Attr<'a>> = Vec::with_capacity(16);
    let mut iter = e.attributes();
    // repeated names are checked below, with a message that names them
    iter.with_checks(false);
    for a in iter {
        let a = a.map_err(|x| err(format!("bad attribute in <{name}>: {x}")))?;
        // keys borrow from the tag, values too unless they had escapes
        let key = text(src, a.key.into_inner());
        let value = match a.value {
            // most values have nothing to unescape
            Cow::Borrowed(raw) if !raw.contains(&b'&') => text(src, raw),
            _ => a
                .unescape_value()
                .map_err(|x| err(format!("bad value of attribute {key} in <{name}>: {x}")))?,
        };
        if attrs.iter().any(|(k, _)| *k == key) {
            return Err(err(format!("attribute {key} repeated in <{name}>")));
        }
        attrs.push((key, value));
    }
    Ok(attrs)
}

/// A name or value the parser read, as text. The parser's slices point
/// into the source text: those are taken from it directly (a slice of a
/// `str` is only checked at its two ends, not validated again byte by byte).
fn text<'a>(src: &'a str, b: &'a [u8]) -> Cow<'a, str> {
    let start = (b.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    let within = start
        .checked_add(b.len())
        .and_then(|end| src.get(start..end))
        .filter(|s| s.as_ptr() == b.as_ptr());
    match within {
        Some(s) => Cow::Borrowed(s),
        None => String::from_utf8_lossy(b),
    }
}

fn divert_element(
    src: &str,
    e: &BytesStart<'_>,
    depth: usize,
    divert: &mut dyn Divert,
    err: &dyn Fn(String) -> XmlError,
) -> Result<(), XmlError> {
    let name = text(src, e.name().into_inner());
    let attrs = attributes(src, e, &name, err)?;
    divert.element(depth, &name, &attrs).map_err(err)
}

fn element_from(
    src: &str,
    e: &BytesStart<'_>,
    pos: Pos,
    lean: bool,
    err: &dyn Fn(String) -> XmlError,
) -> Result<Element, XmlError> {
    let name = text(src, e.name().into_inner()).into_owned();
    let mut attrs: Vec<(String, String)> = attributes(src, e, &name, err)?
        .into_iter()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if lean {
        attrs.shrink_to_fit();
    }
    Ok(Element {
        name,
        attrs,
        children: Vec::new(),
        pos,
    })
}

fn attach(
    stack: &mut [Element],
    root: &mut Option<Element>,
    el: Element,
    err: &dyn Fn(String) -> XmlError,
) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(Node::Element(el));
            Ok(())
        }
        None if root.is_none() => {
            *root = Some(el);
            Ok(())
        }
        None => Err(err(format!(
            "a second root element <{}> after the first",
            el.name
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes every `op` under the root, recording what it was shown.
    #[derive(Default)]
    struct Ops(Vec<String>);

    impl Divert for Ops {
        fn claims(&mut self, open: &[Element], name: &str) -> bool {
            open.len() == 1 && name == "op"
        }
        fn element(&mut self, depth: usize, name: &str, attrs: &[Attr<'_>]) -> Result<(), String> {
            let attrs: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            self.0.push(format!("{depth} {name} {}", attrs.join(" ")));
            Ok(())
        }
    }

    #[test]
    fn lean_parse_diverts_claimed_elements() {
        let src = "<cib a=\"1\">\n  <!-- c -->\n  <op id=\"x\" junk=\"&lt;\" rc=\"7\"><x/><y><z/></y>t</op>\n  <op id=\"y\"/>\n  <other b=\"2\"><op/></other>\n</cib>";
        let mut ops = Ops::default();
        let lean = parse_lean(src, &mut ops).unwrap();
        let full = parse(src).unwrap();
        assert_eq!(lean.pos, full.pos);
        assert_eq!(lean.attr("a"), Some("1"));
        assert_eq!(
            lean.children.len(),
            1,
            "comments and claimed ops are dropped"
        );
        let other = lean.child("other").unwrap();
        assert_eq!(other.pos, Pos::default());
        assert_eq!(other.attr("b"), Some("2"));
        assert_eq!(
            other.elements().count(),
            1,
            "only ops under the root are claimed"
        );
        assert_eq!(
            ops.0,
            ["0 op id=x junk=< rc=7", "1 x ", "1 y ", "2 z ", "0 op id=y"]
        );
        assert_eq!(parse_lean(src, &mut KeepAll).unwrap().children.len(), 3);
        let bad = parse_lean("<cib>\n  <op></cib>", &mut Ops::default()).unwrap_err();
        assert_eq!(bad.pos.line, 2);
        let bad =
            parse_lean("<cib>\n  <op a=\"1\" a=\"2\"/></cib>", &mut Ops::default()).unwrap_err();
        assert!(bad.message.contains("attribute"), "{bad}");
    }

    #[test]
    fn positions_and_round_trip() {
        let src = "<?xml version=\"1.0\"?>\n<cib a=\"1\">\n  <configuration>\n    <x y=\"a&amp;b\"/>\n  </configuration>\n</cib>\n";
        let root = parse(src).unwrap();
        assert_eq!(root.pos, Pos { line: 2, column: 1 });
        let conf = root.child("configuration").unwrap();
        assert_eq!(conf.pos, Pos { line: 3, column: 3 });
        let x = conf.child("x").unwrap();
        assert_eq!(x.pos, Pos { line: 4, column: 5 });
        assert_eq!(x.attr("y"), Some("a&b"));
        let again = parse(&root.to_xml()).unwrap();
        assert_eq!(again.canonical(), root.canonical());
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse("<a>\n  <b>\n</a>").unwrap_err();
        assert_eq!(e.pos.line, 3, "{e}");
        let e = parse("<a x=\"1\" x=\"2\"/>").unwrap_err();
        assert!(e.message.contains("attribute"), "{e}");
        let e = parse("<a>\n<b>").unwrap_err();
        assert!(
            e.to_string().contains("never closed") || e.pos.line >= 1,
            "{e}"
        );
    }

    #[test]
    fn text_newlines_and_comments_survive() {
        let src = "<a v=\"x&#10;y\"><!-- c --><d>t &lt; u</d></a>";
        let root = parse(src).unwrap();
        let back = parse(&root.to_xml()).unwrap();
        assert_eq!(back, strip_pos(root.clone()).with_pos_of(&back));
        assert_eq!(back.attr("v"), Some("x\ny"));
        assert_eq!(back.child("d").unwrap().text(), "t < u");
    }

    fn strip_pos(e: Element) -> Element {
        e
    }

    impl Element {
        fn with_pos_of(mut self, other: &Element) -> Element {
            self.pos = other.pos;
            let others: Vec<&Element> = other.elements().collect();
            for (i, c) in self.elements_mut().enumerate() {
                *c = c.clone().with_pos_of(others[i]);
            }
            self
        }
    }
}
