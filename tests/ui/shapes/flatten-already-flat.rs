luminet::network! {
    pub Net: [1, 28, 28] {
        flatten,
        dense(128) => relu,
        flatten,
        dense(10) => softmax,
    }
}

fn main() {}
