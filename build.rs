//! Generates `include/rtjit.h` from the `extern "C"` items under `src/ffi`.
//!
//! Only the files of `src/ffi` are read, in the order `src/ffi/mod.rs`
//! declares them (the header's order), so nothing outside the C layer can
//! leak into the header. The header is checked in; this script rewrites it
//! only when its content changes, so a build never dirties the tree unless
//! the C API changed.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml must parse");
    let out = crate_dir.join("include").join("rtjit.h");
    let ffi = crate_dir.join("src").join("ffi");
    let declared = std::fs::read_to_string(ffi.join("mod.rs")).expect("src/ffi/mod.rs must be readable");
    let mut builder = cbindgen::Builder::new().with_config(config);
    for line in declared.lines() {
        if let Some(name) = line.trim().strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
            builder = builder.with_src(ffi.join(format!("{name}.rs")));
        }
    }
    match builder.generate() {
        Ok(bindings) => {
            // write_to_file only touches the file when the content differs.
            bindings.write_to_file(&out);
        }
        Err(err) => {
            // A syntax error in the crate is reported better by rustc itself.
            println!("cargo:warning=cbindgen could not generate include/rtjit.h: {err}");
        }
    }
}
