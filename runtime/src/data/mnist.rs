//! MNIST and Fashion-MNIST from their four original IDX files.
//!
//! Loaders look for the files, gzipped or not, in this order: the directory given, then
//! `$LUMINET_DATA/mnist` (`fashion-mnist`), then Debian's `/usr/share/datasets/fashion-mnist`
//! (Fashion-MNIST only), then the cache directory (`$LUMINET_CACHE`, else
//! `$XDG_CACHE_HOME/luminet`, else `~/.cache/luminet`). If MNIST is found nowhere, it is
//! downloaded into the cache with `curl` and each file's SHA-256 checked before it is moved
//! into place.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{idx, one_hot, Dataset};
use crate::error::{Error, Result};

/// Which of the two datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Handwritten digits.
    Mnist,
    /// Zalando's clothing images, the same format.
    FashionMnist,
}

const FILES: [&str; 4] = [
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
];

/// SHA-256 of the original MNIST `.gz` files, in the order of `FILES`.
const MNIST_SHA256: [&str; 4] = [
    "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
];

const MNIST_MIRRORS: [&str; 2] = [
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
];

/// The training and test sets, pixels scaled to `[0, 1]`, labels one-hot over 10 classes.
#[derive(Debug, Clone)]
pub struct Mnist {
    /// 60,000 images `[1, 28, 28]`.
    pub train: Dataset,
    /// 10,000 images `[1, 28, 28]`.
    pub test: Dataset,
    /// Where the files were read from.
    pub dir: PathBuf,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Mnist => "mnist",
            Kind::FashionMnist => "fashion-mnist",
        }
    }
}

/// The cache directory luminet downloads into.
pub fn cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("LUMINET_CACHE")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("luminet")))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("luminet")))
}

/// The directories searched for `kind`, in order, `explicit` first.
pub fn search_path(kind: Kind, explicit: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = explicit.map(Path::to_path_buf).into_iter().collect();
    if let Some(root) = std::env::var_os("LUMINET_DATA").filter(|v| !v.is_empty()) {
        dirs.push(PathBuf::from(root).join(kind.folder()));
    }
    if kind == Kind::FashionMnist {
        dirs.push(PathBuf::from("/usr/share/datasets/fashion-mnist"));
    }
    if let Some(cache) = cache_dir() {
        dirs.push(cache.join(kind.folder()));
    }
    dirs
}

/// The path of `name` in `dir`, gzipped or not, if present.
fn locate(dir: &Path, name: &str) -> Option<PathBuf> {
    [format!("{name}.gz"), name.to_string()]
        .into_iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// Loads `kind`, from `explicit` (for example an example's `--data` flag) or the search path.
pub fn load(kind: Kind, explicit: Option<&Path>) -> Result<Mnist> {
    let dirs = search_path(kind, explicit);
    let found = dirs
        .iter()
        .find(|d| FILES.iter().all(|f| locate(d, f).is_some()));
    let dir = match (found, kind) {
        (Some(d), _) => d.clone(),
        (None, Kind::Mnist) => download_mnist(&dirs)?,
        (None, Kind::FashionMnist) => return Err(not_found(kind, &dirs, None)),
    };
    read_dir(&dir)
}

fn not_found(kind: Kind, dirs: &[PathBuf], download: Option<String>) -> Error {
    let list: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let mut msg = format!(
        "{} not found: looked for {} in {}",
        kind.folder(),
        FILES.join(", "),
        list.join(", ")
    );
    if let Some(d) = download {
        msg.push_str(&format!("; download failed: {d}"));
    }
    msg.push_str(
        "; set LUMINET_DATA to a folder holding mnist/ (e.g. LUMINET_DATA=../shared/data)",
    );
    Error::NotFound(msg)
}

/// Reads the four files of `dir`.
pub fn read_dir(dir: &Path) -> Result<Mnist> {
    let path = |i: usize| {
        locate(dir, FILES[i])
            .ok_or_else(|| Error::NotFound(format!("{}: no {}(.gz)", dir.display(), FILES[i])))
    };
    let train = read_split(&path(0)?, &path(1)?)?;
    let test = read_split(&path(2)?, &path(3)?)?;
    Ok(Mnist {
        train,
        test,
        dir: dir.to_path_buf(),
    })
}

/// Reads one images file and its labels file into a dataset.
pub fn read_split(images: &Path, labels: &Path) -> Result<Dataset> {
    let im = idx::read(images)?;
    let lb = idx::read(labels)?;
    if im.dims.len() != 3 {
        return Err(Error::data(
            images,
            format!(
                "expected [n, rows, cols] images, found dimensions {:?}",
                im.dims
            ),
        ));
    }
    if lb.dims.len() != 1 {
        return Err(Error::data(
            labels,
            format!("expected [n] labels, found dimensions {:?}", lb.dims),
        ));
    }
    if im.dims[0] != lb.dims[0] {
        return Err(Error::data(
            labels,
            format!(
                "{} labels for the {} images of {}",
                lb.dims[0],
                im.dims[0],
                images.display()
            ),
        ));
    }
    if let Some(i) = lb.data.iter().position(|&l| l > 9) {
        return Err(Error::data(
            labels,
            format!("label {i} is {}, outside 0..=9", lb.data[i]),
        ));
    }
    let x = im.data.iter().map(|&p| p as f32 / 255.0).collect();
    Dataset::new(
        x,
        &[1, im.dims[1], im.dims[2]],
        one_hot(&lb.data, 10),
        &[10],
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn download_mnist(dirs: &[PathBuf]) -> Result<PathBuf> {
    let Some(target) = cache_dir().map(|c| c.join("mnist")) else {
        return Err(not_found(
            Kind::Mnist,
            dirs,
            Some("no cache directory (set LUMINET_CACHE)".into()),
        ));
    };
    std::fs::create_dir_all(&target).map_err(|e| Error::io(&target, e))?;
    for (file, sum) in FILES.iter().zip(MNIST_SHA256) {
        let dest = target.join(format!("{file}.gz"));
        if dest.is_file() {
            continue;
        }
        let mut last = String::new();
        let got = MNIST_MIRRORS
            .iter()
            .any(|m| match fetch(&format!("{m}{file}.gz"), &dest, sum) {
                Ok(()) => true,
                Err(e) => {
                    last = e;
                    false
                }
            });
        if !got {
            return Err(not_found(Kind::Mnist, dirs, Some(last)));
        }
    }
    Ok(target)
}

/// Downloads `url` to a temporary file, checks its SHA-256 and renames it to `dest`.
fn fetch(url: &str, dest: &Path, sha256: &str) -> std::result::Result<(), String> {
    let tmp = dest.with_extension("part");
    let status = std::process::Command::new("curl")
        .args(["-fsSL", "--retry", "2", "--max-time", "300", "-o"])
        .arg(&tmp)
        .arg(url)
        .status()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    if !status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{url}: curl exited with {status}"));
    }
    let bytes = std::fs::read(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let got = sha256_hex(&bytes);
    if got != sha256 {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{url}: SHA-256 {got}, expected {sha256}"));
    }
    std::fs::rename(&tmp, dest).map_err(|e| format!("{}: {e}", dest.display()))
}
