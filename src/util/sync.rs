//! Taking std locks without poisoning.
//!
//! A panic inside the library is caught at the C boundary, so a lock may be
//! poisoned by a thread that has already reported an internal error. Every
//! structure behind these locks is updated in steps that each leave it
//! consistent, so the next user carries on with the data as it is; these
//! helpers are the one place that decision is made.

use std::sync::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

pub fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

pub fn wait<'a, T>(c: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    c.wait(guard).unwrap_or_else(|e| e.into_inner())
}

/// The data of a lock the caller owns exclusively (in `Drop`).
pub fn get_mut<T>(m: &mut Mutex<T>) -> &mut T {
    m.get_mut().unwrap_or_else(|e| e.into_inner())
}

/// The data of a read-write lock the caller owns exclusively.
pub fn get_mut_rw<T>(l: &mut RwLock<T>) -> &mut T {
    l.get_mut().unwrap_or_else(|e| e.into_inner())
}
