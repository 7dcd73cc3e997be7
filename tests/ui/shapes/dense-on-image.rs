luminet::network! {
    pub Net: [1, 28, 28] {
        conv2d(32, 3) => relu,
        max_pool2d(2),
        dense(10) => softmax,
    }
}

fn main() {}
