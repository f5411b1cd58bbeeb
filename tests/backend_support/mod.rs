//! The backend a test suite runs on: `RTJIT_TEST_BACKEND=llvm` runs it on
//! the LLVM backend (in a library built with `--features llvm`; `.ci/run`
//! runs every suite both ways), anything else or nothing on Cranelift.

use rtjit::Backend;

pub fn backend() -> Backend {
    match std::env::var("RTJIT_TEST_BACKEND").as_deref() {
        Ok("llvm") => Backend::Llvm,
        Ok("cranelift") | Err(_) => Backend::Cranelift,
        Ok(other) => panic!("RTJIT_TEST_BACKEND={other}: expected `cranelift` or `llvm`"),
    }
}
