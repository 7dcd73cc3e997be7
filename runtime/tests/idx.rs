//! The IDX reader rejects truncated and corrupt files with the file's name and the numbers.

use std::io::Write;
use std::path::PathBuf;

use luminet_runtime::data::{idx, mnist};

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("luminet-idx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn err(name: &str, bytes: &[u8]) -> String {
    let p = temp(name, bytes);
    let e = idx::read(&p).unwrap_err().to_string();
    assert!(e.contains(name), "error does not name the file: {e}");
    e
}

#[test]
fn reads_plain_and_gzipped() {
    let bytes = idx::encode(&[2, 3], &[1, 2, 3, 4, 5, 6]);
    for (name, b) in [("plain-idx", bytes.clone()), ("gz-idx.gz", gz(&bytes))] {
        let got = idx::read(&temp(name, &b)).unwrap();
        assert_eq!(got.dims, vec![2, 3]);
        assert_eq!(got.data, vec![1, 2, 3, 4, 5, 6]);
    }
}

#[test]
fn rejects_bad_files_naming_what_is_wrong() {
    let good = idx::encode(&[2, 3], &[1, 2, 3, 4, 5, 6]);
    assert!(err("short-data", &good[..good.len() - 2]).contains("need 6 data bytes, found 4"));
    assert!(err("short-header", &good[..6]).contains("truncated header"));
    assert!(err("tiny", &good[..2]).contains("shorter than the 4-byte IDX header"));
    assert!(err("trailing", &[&good[..], &[9, 9]].concat()).contains("2 bytes of trailing data"));
    let mut magic = good.clone();
    magic[0] = 7;
    assert!(err("magic", &magic).contains("not an IDX file"));
    let mut ty = good.clone();
    ty[2] = 0x0d;
    assert!(err("float-type", &ty).contains("unsupported IDX element type 0x0d"));
    assert!(err("zero-dim", &idx::encode(&[2, 0], &[])).contains("dimension 1 of [2, 0] is zero"));
    let zipped = gz(&good);
    assert!(err("cut.gz", &zipped[..zipped.len() / 2]).contains("corrupt gzip stream"));
    let missing = std::env::temp_dir().join("luminet-no-such-file");
    assert!(idx::read(&missing)
        .unwrap_err()
        .to_string()
        .contains("luminet-no-such-file"));
}

#[test]
fn mnist_split_checks_labels_against_images() {
    let images = temp(
        "imgs",
        &idx::encode(&[3, 2, 2], &[0, 255, 0, 255, 1, 2, 3, 4, 5, 6, 7, 8]),
    );
    let labels = temp("labels", &idx::encode(&[2], &[1, 2]));
    let e = mnist::read_split(&images, &labels).unwrap_err().to_string();
    assert!(e.contains("2 labels for the 3 images"), "{e}");
    let labels = temp("labels-bad", &idx::encode(&[3], &[1, 12, 2]));
    let e = mnist::read_split(&images, &labels).unwrap_err().to_string();
    assert!(e.contains("label 1 is 12, outside 0..=9"), "{e}");
    let labels = temp("labels-ok", &idx::encode(&[3], &[1, 0, 9]));
    let d = mnist::read_split(&images, &labels).unwrap();
    assert_eq!(
        (d.len(), d.x_shape.clone(), d.x[1]),
        (3, vec![1, 2, 2], 1.0)
    );
}

/// The real files, where `LUMINET_DATA` points at them.
#[test]
fn real_mnist_when_present() {
    let Some(root) = std::env::var_os("LUMINET_DATA") else {
        return;
    };
    let dir = PathBuf::from(root).join("mnist");
    if !dir.exists() {
        return;
    }
    let m = mnist::read_dir(&dir).unwrap();
    assert_eq!((m.train.len(), m.test.len()), (60_000, 10_000));
    let first: Vec<usize> = (0..5)
        .map(|i| luminet_runtime::train::argmax(m.train.target(i)))
        .collect();
    assert_eq!(first, vec![5, 0, 4, 1, 9]);
}
