//! The IDX format of MNIST and Fashion-MNIST, gzipped or not.
//!
//! A file is two zero bytes, a type code, the number of dimensions `n`, `n` big-endian `u32`
//! sizes, then the data. luminet reads unsigned bytes (type `0x08`), the type of every MNIST
//! file, and rejects anything else, any size of zero, and data shorter or longer than the
//! sizes promise, naming the file and the numbers.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// An array of unsigned bytes read from an IDX file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idx {
    /// Sizes, outermost first (e.g. `[60000, 28, 28]`).
    pub dims: Vec<usize>,
    /// The values, row-major.
    pub data: Vec<u8>,
}

/// Reads `path`, decompressing it first if it starts with the gzip magic.
pub fn read(path: &Path) -> Result<Idx> {
    let raw = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| Error::data(path, format!("corrupt gzip stream: {e}")))?;
        out
    } else {
        raw
    };
    parse(&bytes).map_err(|reason| Error::data(path, reason))
}

/// Parses the bytes of an uncompressed IDX file.
pub fn parse(bytes: &[u8]) -> std::result::Result<Idx, String> {
    if bytes.len() < 4 {
        return Err(format!(
            "truncated: {} bytes, shorter than the 4-byte IDX header",
            bytes.len()
        ));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(format!(
            "not an IDX file: magic starts with {:#04x} {:#04x}, expected 0x00 0x00",
            bytes[0], bytes[1]
        ));
    }
    if bytes[2] != 0x08 {
        return Err(format!(
            "unsupported IDX element type {:#04x}; luminet reads unsigned bytes (0x08)",
            bytes[2]
        ));
    }
    let n = bytes[3] as usize;
    if n == 0 {
        return Err("IDX header declares 0 dimensions".into());
    }
    let header = 4 + 4 * n;
    if bytes.len() < header {
        return Err(format!(
            "truncated header: {n} dimensions need {header} bytes, the file has {}",
            bytes.len()
        ));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    if let Some(i) = dims.iter().position(|&d| d == 0) {
        return Err(format!("dimension {i} of {dims:?} is zero"));
    }
    let want = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let want = want.ok_or_else(|| format!("dimensions {dims:?} overflow"))?;
    let have = bytes.len() - header;
    if have < want {
        return Err(format!(
            "truncated: dimensions {dims:?} need {want} data bytes, found {have}"
        ));
    }
    if have > want {
        return Err(format!(
            "{} bytes of trailing data after the {want} that dimensions {dims:?} describe",
            have - want
        ));
    }
    Ok(Idx {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Writes `dims` and `data` as an uncompressed IDX file's bytes (for tests and tools).
pub fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}
