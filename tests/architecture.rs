//! Architecture rules for rtjit, checked by reading `src/` (this test needs
//! nothing but `std`; it does not look at the compiled crate).
//!
//! rtjit is a pipeline, `lang` (source text) -> `mir` (the IR) -> `backend`
//! (native code) -> `runtime` (managers, calls) -> `ffi` (the C ABI), over
//! small shared modules (`util`, `diag`, `abi`, `error`). A lower stage never
//! imports a higher one, so each stage can be read, tested and replaced alone,
//! and only `ffi` knows about C. Enforced here:
//!
//! 1. The module dependency matrix [`ALLOWED`]; a top-level module missing
//!    from it fails. `ffi` may use only itself and what `src/lib.rs` re-exports.
//! 2. No cycles between source files: every strongly connected component of
//!    the file import graph is reported with the imports that close it.
//! 3. `#[no_mangle]` (and `#[export_name]`) only in `ffi`.
//! 4. `extern "C" fn` definitions only in `ffi` and `runtime::helpers` (the
//!    functions JIT code calls by address); there, one that takes a raw
//!    pointer must be `unsafe extern "C" fn`. `#[cfg(test)]` code is exempt.
//!
//! How: a hand-written scanner blanks comments and the contents of string and
//! char literals (keeping every byte offset, so lines stay right), splits the
//! rest into tokens, and reads `use` trees and paths in code that start with
//! `crate`, `$crate`, `super`, `self` or a child module's name. A path
//! resolves to the deepest module that is a file (`src/a/b.rs` or
//! `src/a/b/mod.rs`); an item that file only re-exports (`pub use`) is
//! followed to the file defining it. `mod x;` declarations are not imports;
//! `std`, `core`, `alloc` and other crates are ignored. `#[cfg(test)]` code
//! counts for rules 1-3. "Module" below means a module path, so `ffi` is
//! `src/ffi.rs` or `src/ffi/`, and `runtime::helpers` is `helpers.rs` or
//! `helpers/` under `src/runtime/`.
//!
//! Run it alone from the crate root with
//! `rustc --edition 2024 --test tests/architecture.rs -o /tmp/arch && /tmp/arch`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Which top-level modules each top-level module may import from. Importing
/// from itself is always allowed; `lib.rs` may import anything. `ffi` is
/// special (rule 1): besides itself it may use only the names `src/lib.rs`
/// re-exports, written `crate::Name`. Edit this table when the layering
/// changes: a module that is not in it fails the test.
const ALLOWED: &[(&str, &[&str])] = &[
    ("util", &[]),
    ("diag", &["util"]),
    ("error", &["util", "diag"]),
    ("mir", &["util", "diag"]),
    ("lang", &["mir", "util", "diag"]),
    ("abi", &["mir", "util"]),
    ("backend", &["mir", "abi", "util", "diag"]),
    ("runtime", &["mir", "lang", "abi", "backend", "util", "diag", "error"]),
    ("ffi", &[]), // and the crate root's re-exports: see rule 1
];

/// The C ABI: the only module that exports symbols.
const FFI: &str = "ffi";
/// Where the `extern "C"` functions that JIT code calls by address live.
const HELPERS: [&str; 2] = ["runtime", "helpers"];

fn is_ident_byte(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric() || c >= 0x80
}

fn is_ident(tok: &str) -> bool {
    tok.bytes().next().is_some_and(|c| c == b'$' || (is_ident_byte(c) && !c.is_ascii_digit()))
}

fn blank(bytes: &mut [u8]) {
    bytes.iter_mut().filter(|c| **c != b'\n').for_each(|c| *c = b' ');
}

/// `src` with comments and the contents of string and char literals replaced
/// by spaces (newlines and string quotes kept): offsets and lines unchanged.
fn clean(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") || b[i..].starts_with(b"/*") {
            let end = if b[i + 1] == b'*' { block_comment_end(b, i) } else { line_end(b, i) };
            blank(&mut out[i..end]);
            i = end;
        } else if let Some((open, end)) = string_at(b, i) {
            blank(&mut out[i..end]);
            (out[open], out[end - 1]) = (b'"', b'"');
            i = end;
        } else if b[i] == b'\'' {
            let end = char_end(b, i).unwrap_or(i + 1);
            blank(&mut out[i + 1..end.max(i + 2) - 1]);
            i = end;
        } else if is_ident_byte(b[i]) {
            i += b[i..].iter().take_while(|&&c| is_ident_byte(c)).count();
        } else {
            i += 1;
        }
    }
    String::from_utf8(out).expect("blanking keeps UTF-8")
}

fn line_end(b: &[u8], i: usize) -> usize {
    b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |n| i + n)
}

/// The end of the (nested) block comment starting at `i`.
fn block_comment_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    while i < b.len() {
        let step = [b"/*", b"*/"].iter().position(|m| b[i..].starts_with(*m));
        depth += [1, -1, 0][step.unwrap_or(2)];
        i += if step.is_some() { 2 } else { 1 };
        if depth == 0 {
            return i;
        }
    }
    b.len()
}

/// A string literal (`"…"`, `b"…"`, `c"…"`, `r#"…"#`, `br"…"`) at `i`: the
/// offset of its opening quote and its end.
fn string_at(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut j = i + usize::from(matches!(b[i], b'b' | b'c'));
    let raw = b.get(j) == Some(&b'r');
    j += usize::from(raw);
    let hashes = if raw { b[j.min(b.len())..].iter().take_while(|&&c| c == b'#').count() } else { 0 };
    let open = j + hashes;
    if b.get(open) != Some(&b'"') {
        return None;
    }
    let mut k = open + 1;
    while k < b.len() {
        match b[k] {
            b'\\' if !raw => k += 2,
            b'"' if b[k + 1..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes => {
                return Some((open, k + 1 + hashes));
            }
            _ => k += 1,
        }
    }
    Some((open, b.len()))
}

/// The end of the char literal at `i`, or `None` for a lifetime (`'a`).
fn char_end(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i + 1) == Some(&b'\\') {
        let n = b.get(i + 3..)?.iter().position(|&c| c == b'\'')?;
        return Some(i + 4 + n);
    }
    let len = match *b.get(i + 1)? {
        c if c < 0x80 => 1,
        c if c >= 0xF0 => 4,
        c if c >= 0xE0 => 3,
        _ => 2,
    };
    (b.get(i + 1 + len) == Some(&b'\'')).then_some(i + 2 + len)
}

/// The tokens of cleaned text with their offsets: identifiers (`$crate` is
/// one), `::`, and every other character alone.
fn tokens(s: &str) -> Vec<(usize, &str)> {
    let b = s.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < b.len() {
        let start = i;
        i += match b[i] {
            c if c == b'$' || is_ident_byte(c) => 1 + b[i + 1..].iter().take_while(|&&c| is_ident_byte(c)).count(),
            _ if b[i..].starts_with(b"::") => 2,
            _ => 1,
        };
        if !b[start].is_ascii_whitespace() {
            out.push((start, &s[start..i]));
        }
    }
    out
}

/// The index of the token that closes the bracket at `open`.
fn close(t: &[(usize, &str)], open: usize) -> usize {
    let o = t[open].1;
    let c = ["}", ")", "]"][["{", "("].iter().position(|&x| x == o).unwrap_or(2)];
    let mut depth = 0;
    for (k, tok) in t.iter().enumerate().skip(open) {
        if tok.1 == o {
            depth += 1;
        } else if tok.1 == c {
            depth -= 1;
            if depth == 0 {
                return k;
            }
        }
    }
    t.len() - 1
}

/// The index of the last token (`;` or the body's `}`) of the item at `i`.
fn item_end(t: &[(usize, &str)], mut i: usize) -> usize {
    let mut depth = 0;
    while i < t.len() {
        match t[i].1 {
            "#" if depth == 0 && t.get(i + 1).is_some_and(|x| x.1 == "[") => i = close(t, i + 1),
            "(" | "[" => depth += 1,
            ")" | "]" => depth -= 1,
            "{" if depth == 0 => return close(t, i),
            ";" if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    t.len() - 1
}

/// A path a file uses, as written (`path`) and made absolute (`abs`).
#[derive(Clone, Debug, Default)]
struct Import {
    at: usize,
    path: Vec<String>,
    /// The name it brings into scope (`as` alias, last segment, or `*`).
    name: String,
    glob: bool,
    /// From a `pub use` (a re-export).
    public: bool,
    abs: Option<Vec<String>>,
}

impl Import {
    fn written(&self) -> String {
        self.path.join("::") + if self.glob { "::*" } else { "" }
    }
}

/// Reads one use tree (`a::b`, `a::{b, c::*}`, `a as b`) at `t[*i]`.
fn use_tree(t: &[(usize, &str)], i: &mut usize, prefix: &[String], out: &mut Vec<Import>) {
    let (mut path, mut at, mut want) = (prefix.to_vec(), t.get(*i).map_or(0, |x| x.0), true);
    while let Some(&(pos, tok)) = t.get(*i) {
        match tok {
            "::" => want = true,
            "{" if want => {
                *i += 1;
                while t.get(*i).is_some_and(|x| x.1 != "}") {
                    use_tree(t, i, &path, out);
                    *i += usize::from(t.get(*i).is_some_and(|x| x.1 == ","));
                }
                *i += 1;
                return;
            }
            "*" if want => {
                *i += 1;
                out.push(Import { at: pos, path, name: "*".into(), glob: true, ..Import::default() });
                return;
            }
            "self" if want && path.len() == prefix.len() && !prefix.is_empty() => (at, want) = (pos, false),
            _ if want && is_ident(tok) => {
                path.push(tok.to_string());
                (at, want) = (pos, false);
            }
            _ => break,
        }
        *i += 1;
    }
    let mut name = path.last().cloned().unwrap_or_default();
    if t.get(*i).is_some_and(|x| x.1 == "as") {
        name = t.get(*i + 1).map_or(name, |x| x.1.to_string());
        *i += 2;
    }
    out.push(Import { at, path, name, ..Import::default() });
}

/// The paths of the `use` declarations in `t`, and their token ranges.
fn use_decls(t: &[(usize, &str)]) -> (Vec<Import>, Vec<(usize, usize)>) {
    let (mut out, mut ranges) = (Vec::new(), Vec::new());
    for i in (0..t.len()).filter(|&i| t[i].1 == "use") {
        let end = t[i..].iter().position(|x| x.1 == ";").map_or(t.len(), |n| i + n);
        ranges.push((i, end));
        if t.get(i + 1).is_some_and(|x| x.1 == "::") {
            continue; // `use ::other_crate`
        }
        let public = match i.checked_sub(1).map(|k| t[k].1) {
            Some("pub") => true,
            Some(")") => t[..i].iter().rposition(|x| x.1 == "(").is_some_and(|k| k > 0 && t[k - 1].1 == "pub"),
            _ => false,
        };
        let mut items = Vec::new();
        use_tree(&t[i + 1..end], &mut 0, &[], &mut items);
        out.extend(items.into_iter().map(|im| Import { public, ..im }));
    }
    (out, ranges)
}

/// Paths in code outside `use` declarations whose first segment satisfies
/// `is_head(offset, segment)`: `crate::a::f`, `super::b::C`, …
fn inline_paths(t: &[(usize, &str)], skip: &[(usize, usize)], is_head: impl Fn(usize, &str) -> bool) -> Vec<Import> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < t.len() {
        if let Some(&(_, end)) = skip.iter().find(|r| r.0 == i) {
            i = end + 1;
            continue;
        }
        let prev = i.checked_sub(1).map(|k| t[k].1);
        if t[i + 1].1 != "::" || matches!(prev, Some("::" | ".")) || !is_head(t[i].0, t[i].1) {
            i += 1;
            continue;
        }
        let (at, mut path) = (t[i].0, vec![t[i].1.to_string()]);
        i += 1;
        while i + 1 < t.len() && t[i].1 == "::" && is_ident(t[i + 1].1) {
            path.push(t[i + 1].1.to_string());
            i += 2;
        }
        out.push(Import { at, name: path[path.len() - 1].clone(), path, ..Import::default() });
    }
    out
}

/// `path` as an absolute module path (without `crate`), seen from module
/// `cur`; `None` for other crates. `is_mod` tells which modules exist.
fn to_abs(path: &[String], cur: &[String], is_mod: impl Fn(&[String]) -> bool) -> Option<Vec<String>> {
    let mut base = cur.to_vec();
    let mut rest = path;
    match path.first()?.as_str() {
        "crate" | "$crate" => (base, rest) = (Vec::new(), &path[1..]),
        "self" => rest = &path[1..],
        "super" => {
            while rest.first().is_some_and(|s| s == "super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ if is_mod(&[cur, &path[..1]].concat()) => {}
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

/// Names defined in a file (`fn x`, `struct x`, …, `macro_rules! x`).
fn defs(t: &[(usize, &str)]) -> HashSet<String> {
    const KW: [&str; 9] = ["fn", "struct", "enum", "trait", "type", "const", "static", "union", "mod"];
    t.windows(3)
        .filter_map(|w| match w[0].1 {
            "macro_rules" if w[1].1 == "!" => Some(w[2].1),
            k if KW.contains(&k) && is_ident(w[1].1) => Some(w[1].1),
            _ => None,
        })
        .map(str::to_string)
        .collect()
}

/// `#[cfg(test)]` items: their byte range and, for `mod name;`, the name.
fn test_items(t: &[(usize, &str)]) -> Vec<(usize, usize, Option<String>)> {
    const ATTR: [&str; 7] = ["#", "[", "cfg", "(", "test", ")", "]"];
    let mut out = Vec::new();
    for i in (0..t.len()).filter(|&i| t[i..].iter().map(|x| x.1).take(7).eq(ATTR)) {
        let end = item_end(t, i + 7);
        let decl = match &t[i + 7..=end] {
            [.., (_, "mod"), (_, name), (_, ";")] => Some(name.to_string()),
            _ => None,
        };
        out.push((t[i].0, t[end].0 + 1, decl));
    }
    out
}

struct File {
    rel: String,
    module: Vec<String>,
    text: String,
    clean: String,
    /// Inline `mod name { … }` blocks: byte range and name.
    inline_mods: Vec<(usize, usize, String)>,
    tests: Vec<(usize, usize, Option<String>)>,
    test_only: bool,
    defs: HashSet<String>,
    imports: Vec<Import>,
}

impl File {
    fn new(rel: String, text: String) -> File {
        let clean = clean(&text);
        let t = tokens(&clean);
        let inline_mods = (0..t.len().saturating_sub(2))
            .filter(|&i| t[i].1 == "mod" && t[i + 2].1 == "{")
            .map(|i| (t[i].0, t[close(&t, i + 2)].0, t[i + 1].1.to_string()))
            .collect();
        let mut module: Vec<String> =
            rel.trim_start_matches("src/").trim_end_matches(".rs").split('/').map(String::from).collect();
        if module == ["lib"] || module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        let (tests, defs) = (test_items(&t), defs(&t));
        File { rel, module, text, clean, inline_mods, tests, test_only: false, defs, imports: Vec::new() }
    }

    /// The module (with inline modules) that the code at `at` is in.
    fn module_at(&self, at: usize) -> Vec<String> {
        let inner = self.inline_mods.iter().filter(|r| r.0 < at && at < r.1).map(|r| r.2.clone());
        self.module.iter().cloned().chain(inner).collect()
    }

    fn is_test(&self, at: usize) -> bool {
        self.test_only || self.tests.iter().any(|r| r.0 <= at && at < r.1)
    }

    fn line(&self, at: usize) -> usize {
        self.text[..at].matches('\n').count() + 1
    }

    fn loc(&self, at: usize) -> String {
        format!("{}:{}", self.rel, self.line(at))
    }

    fn top(&self) -> &str {
        self.module.first().map_or("lib", String::as_str)
    }
}

struct Crate {
    files: Vec<File>,
    by_module: HashMap<Vec<String>, usize>,
}

impl Crate {
    fn load(root: &Path) -> Crate {
        let mut paths = Vec::new();
        let mut dirs = vec![root.join("src")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
                let path = entry.expect("directory entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    paths.push(path);
                }
            }
        }
        paths.sort();
        let rel = |p: &Path| p.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
        Crate::from_sources(paths.iter().map(|p| (rel(p), std::fs::read_to_string(p).expect("UTF-8 source"))).collect())
    }

    fn from_sources(sources: Vec<(String, String)>) -> Crate {
        let mut files: Vec<File> = sources.into_iter().map(|(rel, text)| File::new(rel, text)).collect();
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        let by_module: HashMap<_, _> = files.iter().enumerate().map(|(i, f)| (f.module.clone(), i)).collect();
        assert!(by_module.contains_key(&Vec::new()), "src/lib.rs not found");
        let is_mod = |m: &[String]| by_module.contains_key(m);
        let mut test_files = Vec::new();
        for f in &mut files {
            let t = tokens(&f.clean);
            let (mut imports, skip) = use_decls(&t);
            let heads = |at, tok: &str| {
                matches!(tok, "crate" | "$crate" | "super" | "self")
                    || is_mod(&[f.module_at(at), vec![tok.into()]].concat())
            };
            imports.extend(inline_paths(&t, &skip, heads));
            for im in &mut imports {
                im.abs = to_abs(&im.path, &f.module_at(im.at), is_mod);
            }
            f.imports = imports;
            let decls = f.tests.iter().filter_map(|r| Some([f.module_at(r.0), vec![r.2.clone()?]].concat()));
            test_files.extend(decls.filter_map(|m| by_module.get(&m).copied()));
        }
        for i in test_files {
            files[i].test_only = true;
        }
        Crate { files, by_module }
    }

    /// The deepest module of `abs` that is a file, and the rest of the path.
    fn split<'a>(&self, abs: &'a [String]) -> Option<(usize, &'a [String])> {
        (0..=abs.len()).rev().find_map(|k| Some((*self.by_module.get(&abs[..k])?, &abs[k..])))
    }

    /// The file `abs` leads to: its module's file, or the file that defines
    /// the item it names when that file only re-exports it.
    fn resolve(&self, abs: &[String]) -> Option<usize> {
        let (file, rest) = self.split(abs)?;
        Some(rest.first().and_then(|item| self.definer(file, item, 0)).unwrap_or(file))
    }

    /// The file defining `item`, found from `file` through its re-exports.
    fn definer(&self, file: usize, item: &str, depth: usize) -> Option<usize> {
        if self.files[file].defs.contains(item) {
            return Some(file);
        }
        if depth > 8 {
            return None;
        }
        let exports = self.files[file].imports.iter().filter(|im| im.public && (im.glob || im.name == item));
        exports.filter_map(|im| Some((im.glob, self.split(im.abs.as_ref()?)?))).find_map(|(glob, (f, rest))| {
            match rest.first() {
                Some(name) => self.definer(f, if glob { item } else { name }, depth + 1),
                None if glob => self.definer(f, item, depth + 1),
                None => Some(f), // a module re-exported under `item`
            }
        })
    }

    /// The top-level module `abs` imports from ("lib" for the crate root).
    fn top_of(&self, abs: &[String]) -> String {
        match abs.first() {
            Some(m) if self.by_module.contains_key(std::slice::from_ref(m)) => m.clone(),
            _ => self.resolve(abs).map_or("lib", |i| self.files[i].top()).to_string(),
        }
    }
}

/// Rule 1: the module dependency matrix.
fn layer_violations(k: &Crate) -> Vec<String> {
    let root = &k.files[k.by_module[&Vec::new()]];
    let exports: BTreeSet<&str> = root.imports.iter().filter(|im| im.public && !im.glob).map(|im| &*im.name).collect();
    let mut out = Vec::new();
    let mut unknown = BTreeSet::new();
    for f in k.files.iter().filter(|f| f.top() != "lib") {
        let me = f.top();
        let Some(&(_, allowed)) = ALLOWED.iter().find(|(m, _)| *m == me) else {
            if unknown.insert(me) {
                let at = k.by_module.get(std::slice::from_ref(&f.module[0])).map_or(f, |&i| &k.files[i]);
                out.push(format!("{}:1: [rule 1] unknown top-level module `{me}`: add it to ALLOWED", at.rel));
            }
            continue;
        };
        let mut found: BTreeMap<(usize, String), BTreeSet<String>> = BTreeMap::new();
        for im in &f.imports {
            let Some(abs) = &im.abs else { continue };
            let to = k.top_of(abs);
            let ok = to == me
                || if me == FFI {
                    abs.first().is_some_and(|n| exports.contains(n.as_str()))
                } else {
                    allowed.contains(&&*to)
                };
            if !ok {
                found.entry((f.line(im.at), to)).or_default().insert(format!("`{}`", im.written()));
            }
        }
        let may = if me == FFI {
            let names: Vec<&str> = exports.iter().copied().collect();
            format!("ffi may use only ffi and the root's re-exports crate::{{{}}}", names.join(", "))
        } else {
            format!("{me} may import only [{}]", allowed.join(", "))
        };
        for ((line, to), paths) in found {
            let paths = paths.into_iter().collect::<Vec<_>>().join(", ");
            out.push(format!("{}:{line}: [rule 1] {me} imports from {to}: {paths}; {may}", f.rel));
        }
    }
    out
}

/// The strongly connected components of more than one node: the nodes
/// that reach each other (the graph has one node per file, so no Tarjan).
fn cycles(adj: &[BTreeSet<usize>]) -> BTreeSet<Vec<usize>> {
    let reach: Vec<BTreeSet<usize>> = (0..adj.len())
        .map(|v| {
            let (mut seen, mut todo) = (BTreeSet::new(), vec![v]);
            while let Some(u) = todo.pop() {
                todo.extend(adj[u].iter().filter(|&&w| seen.insert(w)));
            }
            seen
        })
        .collect();
    let group = |v: usize| reach[v].iter().copied().filter(|w| reach[*w].contains(&v)).collect::<Vec<_>>();
    (0..adj.len()).map(group).filter(|g| g.len() > 1).collect()
}

/// Rule 2: no cycles between files.
fn cycle_violations(k: &Crate) -> Vec<String> {
    let mut edges: BTreeMap<(usize, usize), &Import> = BTreeMap::new();
    for (i, f) in k.files.iter().enumerate() {
        for im in &f.imports {
            if let Some(j) = im.abs.as_deref().and_then(|abs| k.resolve(abs)).filter(|&j| j != i) {
                edges.entry((i, j)).or_insert(im);
            }
        }
    }
    let mut adj = vec![BTreeSet::new(); k.files.len()];
    for &(i, j) in edges.keys() {
        adj[i].insert(j);
    }
    let mut out = Vec::new();
    for scc in cycles(&adj) {
        let names: Vec<&str> = scc.iter().map(|&i| &*k.files[i].rel).collect();
        let mut msg = format!("{}: [rule 2] cycle between {} files: {}", names[0], scc.len(), names.join(", "));
        let mut closing: Vec<_> = edges.iter().filter(|((i, j), _)| scc.contains(i) && scc.contains(j)).collect();
        closing.sort_by_key(|(key, im)| (key.0, im.at));
        for (&(i, j), im) in closing {
            let (from, to) = (&k.files[i], &k.files[j].rel);
            _ = write!(msg, "\n        {} imports {to} (`{}`)", from.loc(im.at), im.written());
        }
        out.push(msg);
    }
    out
}

/// Rule 3: symbols are exported only by ffi.
fn export_violations(k: &Crate) -> Vec<String> {
    let mut out = Vec::new();
    for f in k.files.iter().filter(|f| f.top() != FFI) {
        for (at, tok) in tokens(&f.clean).into_iter().filter(|t| matches!(t.1, "no_mangle" | "export_name")) {
            out.push(format!("{}: [rule 3] #[{tok}] outside ffi: only the C ABI exports symbols", f.loc(at)));
        }
    }
    out
}

/// An `extern "ABI" fn name(…) { … }` definition.
struct ExternFn {
    at: usize,
    name: String,
    abi: String,
    is_unsafe: bool,
    raw_pointer: bool,
}

/// The `extern` function definitions in a file (not function pointer types,
/// not declarations in `extern` blocks).
fn extern_fns(text: &str, clean: &str) -> Vec<ExternFn> {
    let t = tokens(clean);
    let mut out = Vec::new();
    for i in (0..t.len()).filter(|&i| t[i].1 == "extern") {
        let quoted = t.get(i + 1).is_some_and(|x| x.1 == "\"") && t.get(i + 2).is_some_and(|x| x.1 == "\"");
        let (abi, j) = if quoted { (text[t[i + 1].0 + 1..t[i + 2].0].to_string(), i + 3) } else { ("C".into(), i + 1) };
        if abi == "Rust" || t.get(j).is_none_or(|x| x.1 != "fn") || t.get(j + 1).is_none_or(|x| !is_ident(x.1)) {
            continue;
        }
        let Some(open) = t[j..].iter().position(|x| x.1 == "(").map(|n| j + n) else { continue };
        let params = &t[open..close(&t, open)];
        if t[item_end(&t, open)].1 != "}" {
            continue; // a declaration
        }
        out.push(ExternFn {
            at: t[i].0,
            name: t[j + 1].1.to_string(),
            abi,
            is_unsafe: i > 0 && t[i - 1].1 == "unsafe",
            raw_pointer: params.windows(2).any(|w| w[0].1 == "*" && matches!(w[1].1, "const" | "mut")),
        });
    }
    out
}

/// Rule 4: where `extern "C"` functions may be defined, and how.
fn extern_fn_violations(k: &Crate) -> Vec<String> {
    let mut out = Vec::new();
    for f in &k.files {
        let helpers = f.module.starts_with(&HELPERS.map(String::from));
        for func in extern_fns(&f.text, &f.clean).into_iter().filter(|func| !f.is_test(func.at)) {
            let (loc, name, abi) = (f.loc(func.at), &func.name, &func.abi);
            if f.top() != FFI && !helpers {
                out.push(format!(
                    "{loc}: [rule 4] `extern \"{abi}\" fn {name}` outside ffi and runtime::helpers: \
                     functions JIT code calls by address belong in src/runtime/helpers/"
                ));
            } else if helpers && func.raw_pointer && !func.is_unsafe {
                out.push(format!(
                    "{loc}: [rule 4] `{name}` takes a raw pointer: declare it `unsafe extern \"{abi}\" fn`"
                ));
            }
        }
    }
    out
}

fn krate() -> Crate {
    let root = option_env!("CARGO_MANIFEST_DIR").map_or_else(|| std::env::current_dir().expect("cwd"), PathBuf::from);
    Crate::load(&root)
}

fn assert_none(rule: &str, violations: &[String]) {
    let n = violations.len();
    assert!(n == 0, "{n} violation(s) of {rule} (see tests/architecture.rs):\n    {}\n", violations.join("\n    "));
}

#[test]
fn rule1_module_dependency_matrix() {
    assert_none("rule 1, the module dependency matrix", &layer_violations(&krate()));
}

#[test]
fn rule2_no_file_cycles() {
    assert_none("rule 2, no cycles between files", &cycle_violations(&krate()));
}

#[test]
fn rule3_exports_only_in_ffi() {
    assert_none("rule 3, exports only in ffi", &export_violations(&krate()));
}

#[test]
fn rule4_extern_c_functions() {
    assert_none("rule 4, extern \"C\" functions", &extern_fn_violations(&krate()));
}

mod scanner {
    use super::*;

    fn sources(files: &[(&str, &str)]) -> Crate {
        Crate::from_sources(files.iter().map(|(p, t)| (p.to_string(), t.to_string())).collect())
    }

    #[test]
    fn comments_and_literals_are_blanked() {
        let src = "let s = \"crate::a\"; // crate::b\n/* crate::c /* nested */ */ let r = br#\"crate::\"d\"#;\n\
                   let c = '\"'; let e = '\\''; fn f<'a>(x: &'a u8) -> char { 'é' }";
        let out = clean(src);
        assert_eq!(out.len(), src.len());
        assert!(!out.contains("crate") && !out.contains('é'), "{out}");
        assert!(out.contains("fn f<'a>(x: &'a u8)") && out.matches('\n').count() == 2, "{out}");
    }

    #[test]
    fn use_groups_give_every_path() {
        let src = "pub(crate) use crate::a::{b::{c, d as e}, self, g::*,\n    h};";
        let (items, _) = use_decls(&tokens(src));
        let got: Vec<(String, &str, bool)> = items.iter().map(|im| (im.written(), &*im.name, im.public)).collect();
        let want = [("crate::a::b::c", "c"), ("crate::a::b::d", "e"), ("crate::a", "a"), ("crate::a::g::*", "*")];
        let mut want: Vec<_> = want.iter().map(|(p, n)| (p.to_string(), *n, true)).collect();
        want.push(("crate::a::h".into(), "h", true));
        assert_eq!(got, want);
        assert_eq!(src[..items[4].at].matches('\n').count(), 1);
    }

    #[test]
    fn relative_paths_become_absolute() {
        let v = |s: &str| s.split("::").map(String::from).collect::<Vec<_>>();
        let cur = v("runtime::unit");
        assert_eq!(to_abs(&v("super::super::mir::Ty"), &cur, |_| false), Some(v("mir::Ty")));
        assert_eq!(to_abs(&v("self::x"), &cur, |_| false), Some(v("runtime::unit::x")));
        assert_eq!(to_abs(&v("$crate::Error"), &cur, |_| false), Some(v("Error")));
        assert_eq!(to_abs(&v("std::fmt"), &cur, |_| false), None);
        assert_eq!(
            to_abs(&v("child::f"), &cur, |m| m == v("runtime::unit::child")),
            Some(v("runtime::unit::child::f"))
        );
    }

    #[test]
    fn reexports_are_followed_and_cycles_found() {
        let k = sources(&[
            ("src/lib.rs", "pub mod a;\npub use a::Item;\n"),
            ("src/a/mod.rs", "mod x;\nmod y;\npub use x::Item;\npub use y::*;\n"),
            ("src/a/x.rs", "pub struct Item;\npub fn f() {\n    super::y::g() // a sibling\n}\n"),
            ("src/a/y.rs", "use super::Item;\npub fn g() {}\n#[cfg(test)]\nmod tests {\n    use super::*;\n}\n"),
        ]);
        let cycles = cycle_violations(&k);
        assert_eq!(cycles.len(), 1, "{cycles:?}");
        assert!(cycles[0].starts_with("src/a/x.rs: [rule 2] cycle between 2 files: src/a/x.rs, src/a/y.rs"));
        assert!(cycles[0].contains("src/a/x.rs:3 imports src/a/y.rs (`super::y::g`)"), "{}", cycles[0]);
        assert!(cycles[0].contains("src/a/y.rs:1 imports src/a/x.rs (`super::Item`)"), "{}", cycles[0]);
    }

    #[test]
    fn layering_and_ffi_rules() {
        let k = sources(&[
            ("src/lib.rs", "pub mod ffi;\npub mod util;\nmod extra;\npub use util::Thing;\n"),
            ("src/util.rs", "pub struct Thing;\npub struct Other;\n#[cfg(test)]\nmod t { use crate::ffi::f; }\n"),
            (
                "src/ffi/mod.rs",
                "use crate::Thing;\nuse crate::util::Other;\n#[unsafe(no_mangle)]\npub extern \"C\" fn f() {}\n",
            ),
            ("src/extra.rs", "type T = unsafe extern \"C\" fn(*const u8);\nextern \"C\" { fn g(); }\n"),
        ]);
        let layers = layer_violations(&k);
        assert_eq!(layers.len(), 3, "{layers:#?}");
        assert!(layers[0].starts_with("src/extra.rs:1: [rule 1] unknown top-level module `extra`"), "{layers:#?}");
        assert!(
            layers[1].starts_with("src/ffi/mod.rs:2: [rule 1] ffi imports from util: `crate::util::Other`; ffi may use only ffi and the root's re-exports crate::{Thing}")
        );
        assert!(layers[2].starts_with("src/util.rs:4: [rule 1] util imports from ffi: `crate::ffi::f`"));
        assert!(export_violations(&k).is_empty() && extern_fn_violations(&k).is_empty());
    }

    #[test]
    fn extern_functions_and_test_exemption() {
        let k = sources(&[
            ("src/lib.rs", "mod runtime;\n"),
            ("src/runtime/mod.rs", "#[cfg(test)]\nmod fixtures;\n"),
            ("src/runtime/fixtures.rs", "extern \"C\" fn host(p: *const u8) {}\n"),
            ("src/runtime/helpers/text.rs", "pub extern \"C\" fn len(p: *const u8) -> i64 { 0 }\n"),
            (
                "src/runtime/exec.rs",
                "#[no_mangle]\nextern \"C-unwind\" fn a() {}\n#[cfg(test)]\nmod t { extern \"C\" fn h() {} }\n",
            ),
        ]);
        let got = extern_fn_violations(&k);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].starts_with("src/runtime/exec.rs:2: [rule 4] `extern \"C-unwind\" fn a` outside"), "{got:#?}");
        assert!(got[1].starts_with("src/runtime/helpers/text.rs:1: [rule 4] `len` takes a raw pointer"));
        assert_eq!(
            export_violations(&k),
            ["src/runtime/exec.rs:1: [rule 3] #[no_mangle] outside ffi: only the C ABI exports symbols"]
        );
    }
}
