luminet::network! {
    pub Net: [1, 28, 28] {
        conv2d(8, 3) => relu,
        flatten,
        global_avg_pool,
        dense(10) => softmax,
    }
}

fn main() {}
