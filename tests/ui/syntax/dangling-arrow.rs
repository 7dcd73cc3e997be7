luminet::network! {
    pub Net: [784] {
        dense(128) =>,
        dense(10) => softmax,
    }
}

fn main() {}
