luminet::network! {
    pub Net: [1, 28, 28] {
        conv1: conv2d(32, 3, stride = 0) => relu,
        flatten,
        dense(10) => softmax,
    }
}

fn main() {}
