luminet::network! {
    pub Net: [1, 28, 28] {
        conv2d(10, 3),
        softmax,
    }
}

fn main() {}
