//! Generates `include/rtjit.h` from the `extern "C"` items under `src/ffi`.
//!
//! The header is checked in; this script rewrites it only when its content
//! changes, so a build never dirties the tree unless the C API changed.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml must parse");
    let out = crate_dir.join("include").join("rtjit.h");
    match cbindgen::Builder::new().with_crate(&crate_dir).with_config(config).generate() {
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
