//! `print` (language.md, "Data"; c-api 50): values separated by spaces and
//! a newline, to the manager's handler or stdout, from source and MIR, at
//! every optimisation level.

mod backend_support;

use std::sync::{Arc, Mutex};

use rtjit::{Manager, Value};

/// A manager whose print handler collects the lines.
fn capturing(level: u8) -> (Manager, Arc<Mutex<Vec<String>>>) {
    let m = Manager::new(backend_support::backend()).unwrap();
    m.set_opt_level(level).unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    m.set_print(Some(Arc::new(move |line: &str| sink.lock().unwrap().push(line.to_string()))));
    (m, lines)
}

#[test]
fn print_joins_the_values_str_with_spaces_at_every_level() {
    for level in 0..=3 {
        let (m, lines) = capturing(level);
        let src = "fn f(x):\n    print(\"x is\", x, x * 1.5, x > 1, \"and\" + \" text\")\n    return x\n\
                   print()\nprint(f(2))\nprint(\"\")\n";
        m.compile_source(src, "<source>").unwrap();
        let want = ["", "x is 2 3.0 true and text", "2", ""];
        assert_eq!(*lines.lock().unwrap(), want, "opt {level}");
        lines.lock().unwrap().clear();
        assert_eq!(m.call("f", &[Value::I64(-4)]).unwrap(), Value::I64(-4));
        assert_eq!(*lines.lock().unwrap(), ["x is -4 -6.0 false and text"]);
    }
}

#[test]
fn print_is_void_a_builtin_name_and_goes_back_to_stdout() {
    let (m, lines) = capturing(0);
    for (src, want) in [("val x = print(1)\n", "no value"), ("fn print(x): x\n", "print")] {
        let err = m.compile_source(src, "<source>").unwrap_err().to_string();
        assert!(err.contains(want), "{src}: {err}");
    }
    m.set_print(None);
    m.compile_source("print(\"to stdout\")\n", "<source>").unwrap();
    assert!(lines.lock().unwrap().is_empty());
}

#[test]
fn print_through_printed_mir_behaves_the_same() {
    let src = "val n = 3\nprint(\"n\", n)\n";
    let text = rtjit::mir_from_source(src).unwrap();
    assert!(text.contains("print "), "{text}");
    let (m, lines) = capturing(2);
    m.compile_mir(text.as_bytes(), "<mir>").unwrap();
    assert_eq!(*lines.lock().unwrap(), ["n 3"]);
}
