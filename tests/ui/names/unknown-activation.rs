luminet::network! {
    pub Net: [784] {
        dense(128) => gelu,
        dense(10) => softmax,
    }
}

fn main() {}
