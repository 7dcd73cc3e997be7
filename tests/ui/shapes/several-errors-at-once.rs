luminet::network! {
    pub Net: [1, 28, 28] {
        conv2d(32, 3, strides = 2) => relu,
        max_pool2d(0),
        flatten,
        dropout(1.5),
        dense(0) => softmax,
    }
}

fn main() {
    // The stub keeps these compiling: the errors above are the only ones.
    assert_eq!(Net::OUTPUT_SHAPE.len(), 0);
    println!("{} {}", Net::PARAM_COUNT, Net::summary());
}
