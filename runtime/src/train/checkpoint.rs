//! Resumable checkpoints in safetensors.
//!
//! One file holds the parameters (`param/<name>`), batch norm's buffers (`buffer/<name>`), the
//! optimizer's state (`slot<i>/<name>`) and, in the safetensors metadata, the rest: network
//! name, epoch, step, learning rate and generator state (as exact bit patterns), and every
//! callback's counters. Loading restores all of it, so training resumed from a checkpoint
//! takes the same steps, on the same batches, as a run that never stopped.
//!
//! Writes go to a temporary file in the same folder, are synced, then renamed over the
//! target: a crash mid-write leaves the previous checkpoint as it was.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;

use super::Model;
use crate::error::{Error, Result};
use crate::layers::Param;
use crate::rng::Rng;

const FORMAT: &str = "luminet-checkpoint-1";

/// Writes `bytes` to `path` atomically: a temporary file, synced, then renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself must reach the disk too.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .or(Ok(()))
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}

fn le_bytes(data: &[f32]) -> Vec<u8> {
    data.iter().flat_map(|v| v.to_le_bytes()).collect()
}

impl Model {
    /// Writes a resumable checkpoint to `path` (see the module docs).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut owned: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
        for p in &self.params {
            owned.push((
                format!("param/{}", p.name),
                p.shape.clone(),
                le_bytes(&p.data),
            ));
        }
        for b in &self.buffers {
            owned.push((
                format!("buffer/{}", b.name),
                b.shape.clone(),
                le_bytes(&b.data),
            ));
        }
        for (p, slots) in self.params.iter().zip(&self.slots) {
            for (i, s) in slots.iter().enumerate() {
                owned.push((format!("slot{i}/{}", p.name), p.shape.clone(), le_bytes(s)));
            }
        }
        let views: Vec<(String, TensorView)> = owned
            .iter()
            .map(|(n, shape, bytes)| {
                let view = TensorView::new(Dtype::F32, shape.clone(), bytes)
                    .map_err(|e| Error::data(path, format!("tensor {n}: {e}")))?;
                Ok((n.clone(), view))
            })
            .collect::<Result<_>>()?;

        let mut meta: HashMap<String, String> = HashMap::new();
        meta.insert("format".into(), FORMAT.into());
        meta.insert("network".into(), self.spec.name.into());
        meta.insert("epoch".into(), self.epoch.to_string());
        meta.insert("step".into(), self.step.to_string());
        meta.insert("lr_bits".into(), self.lr.to_bits().to_string());
        meta.insert("rng".into(), self.rng.state().to_string());
        meta.insert("optimizer".into(), format!("{:?}", self.optimizer));
        meta.insert("slots".into(), self.optimizer.slots().to_string());
        for (cb, state) in &self.callback_state {
            for (k, v) in state {
                meta.insert(format!("callback.{cb}.{k}"), v.clone());
            }
        }
        let bytes = safetensors::serialize(views, &Some(meta))
            .map_err(|e| Error::data(path, format!("cannot serialize: {e}")))?;
        write_atomic(path, &bytes)
    }

    /// Restores everything [`Model::save`] wrote. The model must be the same network,
    /// compiled with the same optimizer; a parameter of another shape is an error naming it.
    pub fn load(&mut self, path: &Path) -> Result<()> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let (_, header) = SafeTensors::read_metadata(&bytes)
            .map_err(|e| Error::data(path, format!("not a safetensors checkpoint: {e}")))?;
        let st = SafeTensors::deserialize(&bytes)
            .map_err(|e| Error::data(path, format!("not a safetensors checkpoint: {e}")))?;
        let meta = header.metadata().clone().unwrap_or_default();
        let get = |k: &str| {
            meta.get(k)
                .cloned()
                .ok_or_else(|| Error::data(path, format!("metadata lacks `{k}`")))
        };
        let num = |k: &str| -> Result<u64> {
            get(k)?
                .parse()
                .map_err(|_| Error::data(path, format!("metadata `{k}` is not a number")))
        };
        if get("format")? != FORMAT {
            return Err(Error::data(
                path,
                format!("format is {:?}, expected {FORMAT}", get("format")?),
            ));
        }
        if num("slots")? as usize != self.optimizer.slots() {
            return Err(Error::data(
                path,
                format!(
                    "saved with optimizer {} ({} state tensors per parameter); this model uses {:?}",
                    get("optimizer")?,
                    num("slots")?,
                    self.optimizer
                ),
            ));
        }
        let network = get("network")?;
        let read = |name: &str, p: &Param| -> Result<Vec<f32>> {
            let t = st.tensor(name).map_err(|_| {
                Error::Shape(format!(
                    "{}: checkpoint of network \"{network}\" has no tensor {name} for network \"{}\"",
                    path.display(),
                    self.spec.name
                ))
            })?;
            if t.shape() != p.shape.as_slice() || t.dtype() != Dtype::F32 {
                return Err(Error::Shape(format!(
                    "{}: {name} is {:?} {:?} in the checkpoint (network \"{network}\") but {:?} in network \"{}\"",
                    path.display(),
                    t.dtype(),
                    t.shape(),
                    p.shape,
                    self.spec.name
                )));
            }
            Ok(t.data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect())
        };

        // Read everything before changing anything: a bad file leaves the model untouched.
        let params: Vec<Vec<f32>> = self
            .params
            .iter()
            .map(|p| read(&format!("param/{}", p.name), p))
            .collect::<Result<_>>()?;
        let buffers: Vec<Vec<f32>> = self
            .buffers
            .iter()
            .map(|b| read(&format!("buffer/{}", b.name), b))
            .collect::<Result<_>>()?;
        let slots: Vec<Vec<Vec<f32>>> = self
            .params
            .iter()
            .map(|p| {
                (0..self.optimizer.slots())
                    .map(|i| read(&format!("slot{i}/{}", p.name), p))
                    .collect()
            })
            .collect::<Result<_>>()?;
        let mut callback_state: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (k, v) in &meta {
            if let Some((cb, key)) = k.strip_prefix("callback.").and_then(|r| r.split_once('.')) {
                callback_state
                    .entry(cb.into())
                    .or_default()
                    .insert(key.into(), v.clone());
            }
        }

        for (p, d) in self.params.iter_mut().zip(params) {
            p.data = d;
        }
        for (b, d) in self.buffers.iter_mut().zip(buffers) {
            b.data = d;
        }
        self.slots = slots;
        self.epoch = num("epoch")? as usize;
        self.step = num("step")?;
        self.lr = f32::from_bits(num("lr_bits")? as u32);
        self.rng = Rng::from_state(num("rng")?);
        self.callback_state = callback_state;
        Ok(())
    }
}
