luminet::network! {
    pub Net: [1, 8, 8] {
        conv2d(16, 3) => relu,
        conv2d(16, 7) => relu,
        flatten,
        dense(10) => softmax,
    }
}

fn main() {}
