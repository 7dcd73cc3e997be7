luminet::network! {
    pub Net: [784] {
        dense(128.5) => relu,
        dense(10) => softmax,
    }
}

fn main() {}
