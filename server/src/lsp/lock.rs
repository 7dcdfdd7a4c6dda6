//! Locks that outlive a panic: a request that panicked while holding one
//! is an error response, and the server goes on with the data as it is.

use std::sync::{Mutex, MutexGuard};

pub(in crate::lsp) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
