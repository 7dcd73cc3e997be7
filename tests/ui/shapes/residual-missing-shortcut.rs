luminet::network! {
    pub Net: [32, 14, 14] {
        block2: residual {
            conv2d(64, 3, stride = 2, padding = same) => batch_norm => relu,
            conv2d(64, 3, padding = same) => batch_norm,
        } => relu,
        global_avg_pool,
    }
}

fn main() {}
