luminet::network! {
    pub Net: [32, 14, 14] {
        block2: residual(shortcut = conv2d(64, 1)) {
            conv2d(64, 3, stride = 2, padding = same) => relu,
            conv2d(64, 3, padding = same),
        } => relu,
        global_avg_pool,
    }
}

fn main() {}
