//! Flags every example shares, and the allocator they train with.

use std::path::PathBuf;

// Training frees and allocates the same large buffers every step; mimalloc reuses them where
// the system allocator returns them to the kernel and faults them back in (the convnet trains
// ~1.5x faster with it here).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Settings common to the examples.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Passes over the training data.
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Samples per training step.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Seed for initialization, shuffling and dropout.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder holding the dataset's files (default: $LUMINET_DATA/<dataset>, then the cache).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// CPU threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

#[allow(dead_code)] // not every example uses every helper
impl Common {
    /// Applies the thread count.
    pub fn apply(&self) {
        if let Some(t) = self.threads {
            luminet::set_threads(t);
        }
    }

    /// MNIST from `--data` or the usual places, saying where it was found.
    pub fn mnist(&self) -> luminet::Result<luminet::data::mnist::Mnist> {
        let data =
            luminet::data::mnist::load(luminet::data::mnist::Kind::Mnist, self.data.as_deref())?;
        eprintln!("MNIST from {}", data.dir.display());
        Ok(data)
    }
}

/// Evaluates `model` on `test` and prints the figures scripts read, the last line being
/// `test accuracy: <fraction>`.
#[allow(dead_code)]
pub fn report(
    model: &mut luminet::train::Model,
    test: &luminet::data::Dataset,
    start: std::time::Instant,
) -> luminet::Result<()> {
    let m = model.evaluate(test, 1000)?;
    println!("trained in {:.0} s", start.elapsed().as_secs_f32());
    println!("test loss: {:.4}", m.loss);
    println!("test accuracy: {:.4}", m.accuracy);
    Ok(())
}
