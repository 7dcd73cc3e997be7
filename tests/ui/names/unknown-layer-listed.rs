luminet::network! {
    pub Net: [20, 8] {
        lstm(32),
        flatten,
        dense(1) => sigmoid,
    }
}

fn main() {}
