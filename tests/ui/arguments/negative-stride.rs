luminet::network! {
    pub Net: [1, 28, 28] {
        conv2d(32, 3, stride = -1) => relu,
        flatten,
        dense(10),
    }
}

fn main() {}
