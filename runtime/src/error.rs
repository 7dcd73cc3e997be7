//! luminet's runtime errors. Each names the file, layer or value at fault.

use std::path::PathBuf;

/// A runtime error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A data file is malformed.
    #[error("{}: {reason}", path.display())]
    Data {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the offending value.
        reason: String,
    },
    /// A dataset was found nowhere luminet looks.
    #[error("{0}")]
    NotFound(String),
    /// Inputs or targets do not fit the network.
    #[error("{0}")]
    Shape(String),
    /// A setting is out of range.
    #[error("{0}")]
    Config(String),
    /// Training produced a NaN or infinite loss.
    #[error("loss became {loss} at epoch {epoch}, batch {batch}")]
    NonFinite {
        /// The 1-based epoch.
        epoch: usize,
        /// The 1-based batch within the epoch.
        batch: usize,
        /// The offending loss.
        loss: f32,
    },
}

/// A runtime result.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn data(path: impl Into<PathBuf>, reason: impl Into<String>) -> Error {
        Error::Data {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
