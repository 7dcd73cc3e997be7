//! Where a graph runs: luminet's CPU pipeline, or luminal_cuda behind the `cuda` feature.

pub mod cpu;
#[cfg(feature = "cuda")]
pub mod cuda;

use luminal::prelude::ToIdsMut;

use crate::session::Session;

/// The device a graph is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    /// luminet's CPU kernels, on rayon's global pool (see [`set_threads`]).
    #[default]
    Cpu,
    /// An NVIDIA GPU through `luminal_cuda` (needs the `cuda` feature and a GPU at compile time).
    #[cfg(feature = "cuda")]
    Cuda,
}

/// Sets the number of CPU threads for the whole process. Call it before the first run; later
/// calls have no effect and return `false`.
pub fn set_threads(threads: usize) -> bool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build_global()
        .is_ok()
}

/// The number of CPU threads kernels may use.
pub fn threads() -> usize {
    rayon::current_num_threads()
}

impl Session {
    /// Compiles the graph for `device`, updating every id in `remap` that a pass replaced.
    pub fn compile<T: ToIdsMut>(&mut self, device: Device, remap: T) {
        match device {
            Device::Cpu => {
                let regions = std::mem::take(&mut self.regions);
                if std::env::var_os("LUMINET_PROFILE").is_some() {
                    let pipeline = (cpu::compiler(threads(), regions), cpu::profile::ProfilePass);
                    self.compile_with(pipeline, remap)
                } else {
                    self.compile_with(cpu::compiler(threads(), regions), remap)
                }
            }
            #[cfg(feature = "cuda")]
            Device::Cuda => self.compile_with(cuda::compiler(), remap),
        }
    }
}
