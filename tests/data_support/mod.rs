//! What the data tests (`data_records.rs`, `data_maps.rs`) share: a
//! manager at a level, and a source unit checked at every level and
//! through its printed MIR.

use rtjit::{Manager, Value};

pub fn manager(level: u8) -> Manager {
    let m = Manager::new(crate::backend_support::backend()).expect("a manager");
    m.set_opt_level(level).unwrap();
    m
}

/// `source` compiled at every level, and its MIR text compiled again;
/// `check` runs against each.
pub fn everywhere(source: &str, check: impl Fn(&Manager, &str)) {
    for level in 0..=3 {
        let m = manager(level);
        m.compile_source(source, "<test>").unwrap_or_else(|e| panic!("opt {level}: {e}"));
        check(&m, &format!("opt {level}"));
        let mir = rtjit::mir_from_source(source).unwrap();
        let again = manager(level);
        again.compile_mir(mir.as_bytes(), "<mir>").unwrap_or_else(|e| panic!("{e}\n{mir}"));
        check(&again, &format!("MIR, opt {level}"));
    }
}

#[allow(dead_code)] // not every test file uses it
pub fn text(s: &str) -> Value {
    Value::Text(s.into())
}
