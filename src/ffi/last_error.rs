//! This thread's last error: a status code and a message, kept until the
//! next failing call on the same thread (successful calls leave it).

use std::cell::RefCell;
use std::ffi::{CString, c_char};

use super::types::RT_OK;
use crate::Error;

struct LastError {
    code: i32,
    message: CString,
}

thread_local! {
    static LAST: RefCell<LastError> = RefCell::new(LastError { code: RT_OK, message: CString::default() });
}

pub fn set(err: &Error) {
    let text = err.to_string().replace('\0', "\\0");
    let message = CString::new(text).unwrap_or_default();
    // During thread teardown the slot may be gone; the error is then lost.
    let _ = LAST.try_with(|l| {
        let mut l = l.borrow_mut();
        l.code = err.status();
        l.message = message;
    });
}

pub fn clear() {
    let _ = LAST.try_with(|l| {
        let mut l = l.borrow_mut();
        l.code = RT_OK;
        l.message = CString::default();
    });
}

pub fn code() -> i32 {
    LAST.try_with(|l| l.borrow().code).unwrap_or(RT_OK)
}

/// The message, valid until this thread next sets or clears the error.
pub fn message_ptr() -> *const c_char {
    // The CString's heap buffer does not move while it is stored, so the
    // pointer outlives the borrow.
    LAST.try_with(|l| l.borrow().message.as_ptr()).unwrap_or(c"".as_ptr())
}
