luminet::network! {
    pub Net {
        dense(128) => relu,
        dense(10) => softmax,
    }
}

fn main() {}
