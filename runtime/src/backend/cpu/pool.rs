//! Recycled buffers, so that a training step does not allocate.
//!
//! Every luminet kernel writes its output into a [`Buffer`], and a dropped `Buffer` goes back
//! to a pool. A request takes the smallest idle buffer that holds it, if that is at most twice
//! its size (a large buffer serving a small request would be lost to the next large one, and
//! could leave with an output the caller takes). A training step makes
//! the same buffers in the same order each time, so from the second step on every large
//! output lands in memory the previous step let go: no page faults and no zeroing, which on a
//! fresh multi-megabyte allocation cost more than the kernel that fills it. Small buffers are
//! left to the allocator, which recycles them well.

use std::collections::BTreeMap;
use std::sync::Mutex;

use luminal::prelude::Data;

/// An `f32` tensor buffer that returns to the pool when dropped.
#[derive(Debug, Default)]
pub struct Buffer(pub Vec<f32>);

impl Clone for Buffer {
    fn clone(&self) -> Self {
        let mut v = take(self.0.len());
        v.copy_from_slice(&self.0);
        Buffer(v)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        give(std::mem::take(&mut self.0));
    }
}

impl Data for Buffer {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn std::any::Any {
        self
    }
}

/// Idle buffers above this many bytes are freed rather than kept.
const LIMIT_BYTES: usize = 1 << 30;

/// Buffers shorter than this go straight to the allocator.
const MIN_LEN: usize = 1 << 14;

/// Idle buffers by capacity.
#[derive(Default)]
struct Pool {
    free: BTreeMap<usize, Vec<Vec<f32>>>,
    bytes: usize,
}

impl Pool {
    fn take(&mut self, len: usize) -> Option<Vec<f32>> {
        let (&cap, list) = self.free.range_mut(len..=len.saturating_mul(2)).next()?;
        let mut v = list.pop().expect("no empty lists are kept");
        if list.is_empty() {
            self.free.remove(&cap);
        }
        self.bytes -= cap * 4;
        v.resize(len, 0.0);
        Some(v)
    }

    fn give(&mut self, v: Vec<f32>) {
        let bytes = v.capacity() * 4;
        if self.bytes + bytes <= LIMIT_BYTES {
            self.bytes += bytes;
            self.free.entry(v.capacity()).or_default().push(v);
        }
    }
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

fn with_pool<R>(f: impl FnOnce(&mut Pool) -> R) -> R {
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(Pool::default))
}

/// A buffer of `len` elements whose contents are unspecified (a previous tensor's, or zero).
pub fn take(len: usize) -> Vec<f32> {
    if len < MIN_LEN {
        return vec![0.0; len];
    }
    with_pool(|p| p.take(len)).unwrap_or_else(|| vec![0.0; len])
}

/// A buffer of `len` zeros.
pub fn zeroed(len: usize) -> Vec<f32> {
    let mut v = take(len);
    v.fill(0.0);
    v
}

/// Hands a buffer back for reuse.
pub fn give(v: Vec<f32>) {
    if v.capacity() < MIN_LEN {
        return;
    }
    with_pool(|p| p.give(v));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_take_the_smallest_buffer_that_fits() {
        let mut pool = Pool::default();
        for len in [300, 100, 200] {
            pool.give(vec![1.0; len]);
        }
        let v = pool.take(150).expect("a buffer fits");
        assert_eq!((v.len(), v.capacity()), (150, 200));
        assert!(pool.take(301).is_none());
        assert!(pool.take(40).is_none(), "100 is more than twice 40");
        assert_eq!(pool.bytes, 400 * 4);
        pool.give(v);
        assert_eq!(pool.take(200).map(|v| v.capacity()), Some(200));
    }

    #[test]
    fn zeroed_buffers_are_zero() {
        drop(Buffer(vec![7.0; MIN_LEN * 2]));
        assert!(zeroed(MIN_LEN * 2 - 3).iter().all(|&x| x == 0.0));
    }
}
