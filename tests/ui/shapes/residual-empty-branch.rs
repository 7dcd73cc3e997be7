luminet::network! {
    pub Net: [16] {
        block: residual {},
        dense(2) => softmax,
    }
}

fn main() {}
