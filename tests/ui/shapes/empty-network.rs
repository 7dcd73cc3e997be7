luminet::network! {
    pub Net: [784] {
    }
}

fn main() {}
