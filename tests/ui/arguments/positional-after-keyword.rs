luminet::network! {
    pub Net: [1, 28, 28] {
        conv2d(filters = 32, 3) => relu,
        flatten,
        dense(10),
    }
}

fn main() {}
