luminet::network! {
    pub Net: [1, 28, 28] {
        conv2d(32, 3, padding = smae) => relu,
        flatten,
        dense(10) => softmax,
    }
}

fn main() {}
