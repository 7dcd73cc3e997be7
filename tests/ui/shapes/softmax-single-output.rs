luminet::network! {
    pub Net: [30] {
        dense(16) => relu,
        out: dense(1) => softmax,
    }
}

fn main() {}
