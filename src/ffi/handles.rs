//! Manager handles: `int64_t` values made from generation-checked slotmap
//! keys, so a stale or made-up handle never reaches another manager.

use std::sync::{Arc, LazyLock, RwLock};

use slotmap::{DefaultKey, Key, KeyData, SlotMap};

use crate::Error;
use crate::Manager;

static MANAGERS: LazyLock<RwLock<SlotMap<DefaultKey, Arc<Manager>>>> = LazyLock::new(|| RwLock::new(SlotMap::new()));

fn key_of(h: i64) -> Result<DefaultKey, Error> {
    if h <= 0 {
        return Err(Error::InvalidHandle);
    }
    let key: DefaultKey = KeyData::from_ffi(h as u64).into();
    // from_ffi forces the version odd; a made-up value that does not
    // round-trip is not a key this map ever issued.
    if key.data().as_ffi() != h as u64 {
        return Err(Error::InvalidHandle);
    }
    Ok(key)
}

pub fn insert(manager: Manager) -> i64 {
    let mut map = MANAGERS.write().unwrap_or_else(|e| e.into_inner());
    map.insert(Arc::new(manager)).data().as_ffi() as i64
}

pub fn get(h: i64) -> Result<Arc<Manager>, Error> {
    let key = key_of(h)?;
    let map = MANAGERS.read().unwrap_or_else(|e| e.into_inner());
    map.get(key).cloned().ok_or(Error::InvalidHandle)
}

/// Removes the handle; the manager is freed when the last call using it
/// returns (calls hold their own reference).
pub fn remove(h: i64) -> Result<Arc<Manager>, Error> {
    let key = key_of(h)?;
    let mut map = MANAGERS.write().unwrap_or_else(|e| e.into_inner());
    map.remove(key).ok_or(Error::InvalidHandle)
}
