//! Code: the checked network becomes a struct and its constants.
//!
//! Everything is emitted with absolute paths (`::luminet::spec::...`), since the macro crate
//! never links the runtime and cannot know what the user's crate has imported. The constants
//! are plain literals: the runtime reads the shapes from `SPEC` and never re-derives one.

use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::infer::{Checked, Row, RowKind};
use crate::lower::{ActKind, Net};
use crate::parse::Header;
use crate::summary;

/// The full expansion of a network that passed every check.
pub fn expand(net: &Net, checked: &Checked) -> TokenStream {
    let item = item(&net.header);
    let spec = spec_impl(&net.header, checked);
    let model = model_impl(&net.header);
    quote! { #item #spec #model }
}

/// `model(seed)`: the runtime builds the training and inference graphs of any batch size
/// from `SPEC`, so the network's graph builder is the runtime's, driven by these constants.
fn model_impl(header: &Header) -> TokenStream {
    let name = &header.name;
    quote! {
        #[allow(dead_code)]
        impl #name {
            /// A trainable model of this network, its weights initialized from `seed`
            /// (Glorot-uniform kernels, zero biases).
            pub fn model(seed: ::core::primitive::u64) -> ::luminet::Result<::luminet::train::Model> {
                ::luminet::train::Model::new(&Self::SPEC, seed)
            }
        }
    }
}

/// The struct, carrying the user's doc comments and attributes.
fn item(header: &Header) -> TokenStream {
    let Header { attrs, vis, name } = header;
    quote! {
        #(#attrs)*
        // A unit struct is a namespace for the constants; it need not be constructed.
        #[allow(dead_code)]
        #vis struct #name;
    }
}

/// `SPEC`, the shapes, the parameter count and `summary()`.
fn spec_impl(header: &Header, checked: &Checked) -> TokenStream {
    let name = &header.name;
    let name_text = name.to_string();
    let (input, output) = (usizes(&checked.input), usizes(&checked.output));
    let (input_rank, output_rank) = (checked.input.len(), checked.output.len());
    let layers = checked.rows.iter().map(layer_spec);
    let params = checked.params;
    let table = summary::table(&name_text, checked);
    let table_doc = format!(" ```text\n{table}\n ```");

    quote! {
        #[allow(dead_code)]
        impl #name {
            /// Every layer with its settings and inferred shapes, as `network!` checked them.
            pub const SPEC: ::luminet::spec::NetworkSpec = ::luminet::spec::NetworkSpec {
                name: #name_text,
                input: &[#(#input),*],
                output: &[#(#output),*],
                layers: &[#(#layers),*],
                params: #params,
            };
            /// The shape of one input sample, without the batch dimension.
            pub const INPUT_SHAPE: [::core::primitive::usize; #input_rank] = [#(#input),*];
            /// The shape of one output sample, without the batch dimension.
            pub const OUTPUT_SHAPE: [::core::primitive::usize; #output_rank] = [#(#output),*];
            /// The number of trainable parameters.
            pub const PARAM_COUNT: ::core::primitive::usize = #params;

            /// A Keras-style table of the layers, their output shapes and parameter counts:
            ///
            #[doc = #table_doc]
            pub fn summary() -> ::std::string::String {
                ::std::string::String::from(#table)
            }
        }
    }
}

fn layer_spec(row: &Row) -> TokenStream {
    let name = &row.name;
    let kind = kind(&row.kind);
    let activations = row.acts.iter().map(|act| activation(*act));
    let (input, output) = (usizes(&row.input), usizes(&row.output));
    let params = row.params;
    quote! {
        ::luminet::spec::LayerSpec {
            name: #name,
            kind: #kind,
            activations: &[#(#activations),*],
            input: &[#(#input),*],
            output: &[#(#output),*],
            params: #params,
        }
    }
}

fn kind(kind: &RowKind) -> TokenStream {
    let pair = |(a, b): (usize, usize)| quote!((#a, #b));
    match kind {
        RowKind::Dense { units, bias } => {
            quote!(::luminet::spec::LayerKind::Dense { units: #units, bias: #bias })
        }
        RowKind::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            dilation,
            bias,
        } => {
            let (kernel, stride, dilation) = (pair(*kernel), pair(*stride), pair(*dilation));
            let padding = (pair(padding.0), pair(padding.1));
            let (rows, cols) = padding;
            quote!(::luminet::spec::LayerKind::Conv2d {
                filters: #filters,
                kernel: #kernel,
                stride: #stride,
                padding: (#rows, #cols),
                dilation: #dilation,
                bias: #bias,
            })
        }
        RowKind::Pool { max, size, stride } => {
            let (size, stride) = (pair(*size), pair(*stride));
            match max {
                true => {
                    quote!(::luminet::spec::LayerKind::MaxPool2d { size: #size, stride: #stride })
                }
                false => {
                    quote!(::luminet::spec::LayerKind::AvgPool2d { size: #size, stride: #stride })
                }
            }
        }
        RowKind::GlobalAvgPool => quote!(::luminet::spec::LayerKind::GlobalAvgPool),
        RowKind::Flatten => quote!(::luminet::spec::LayerKind::Flatten),
        RowKind::Dropout { rate } => {
            let rate = float(*rate);
            quote!(::luminet::spec::LayerKind::Dropout { rate: #rate })
        }
        RowKind::BatchNorm { momentum, epsilon } => {
            let (momentum, epsilon) = (float(*momentum), float(*epsilon));
            quote!(::luminet::spec::LayerKind::BatchNorm { momentum: #momentum, epsilon: #epsilon })
        }
        RowKind::Activation => quote!(::luminet::spec::LayerKind::Activation),
        RowKind::Residual { branch, shortcut } => {
            let (branch, shortcut) = (
                branch.iter().map(layer_spec),
                shortcut.iter().map(layer_spec),
            );
            quote!(::luminet::spec::LayerKind::Residual {
                branch: &[#(#branch),*],
                shortcut: &[#(#shortcut),*],
            })
        }
    }
}

fn activation(act: ActKind) -> TokenStream {
    match act {
        ActKind::Relu => quote!(::luminet::spec::Activation::Relu),
        ActKind::Sigmoid => quote!(::luminet::spec::Activation::Sigmoid),
        ActKind::Tanh => quote!(::luminet::spec::Activation::Tanh),
        ActKind::Softmax => quote!(::luminet::spec::Activation::Softmax),
        ActKind::LeakyRelu(alpha) => {
            let alpha = float(alpha);
            quote!(::luminet::spec::Activation::LeakyRelu(#alpha))
        }
        ActKind::Elu(alpha) => {
            let alpha = float(alpha);
            quote!(::luminet::spec::Activation::Elu(#alpha))
        }
    }
}

fn usizes(shape: &[usize]) -> Vec<Literal> {
    shape
        .iter()
        .map(|n| Literal::usize_unsuffixed(*n))
        .collect()
}

/// An `f32` literal; `lower` admits finite values only, and `Literal` would panic on others.
fn float(x: f32) -> Literal {
    Literal::f32_suffixed(if x.is_finite() { x } else { 0.0 })
}

/// What follows the errors of a failed network: the same items with placeholder values, so
/// that code using the network reports nothing more. `rank` and `output` are what inference
/// learned, if anything.
pub fn stub(header: &Header, rank: usize, output: Option<&[usize]>) -> TokenStream {
    let item = item(header);
    let name = &header.name;
    let name_text = name.to_string();
    let output_rank = output.map_or(0, <[usize]>::len);
    let model = model_impl(header);
    quote! {
        #item
        #[allow(dead_code)]
        impl #name {
            /// A placeholder: the network has errors.
            pub const SPEC: ::luminet::spec::NetworkSpec = ::luminet::spec::NetworkSpec {
                name: #name_text,
                input: &[],
                output: &[],
                layers: &[],
                params: 0,
            };
            /// A placeholder: the network has errors.
            pub const INPUT_SHAPE: [::core::primitive::usize; #rank] = [0; #rank];
            /// A placeholder: the network has errors.
            pub const OUTPUT_SHAPE: [::core::primitive::usize; #output_rank] = [0; #output_rank];
            /// A placeholder: the network has errors.
            pub const PARAM_COUNT: ::core::primitive::usize = 0;

            /// A placeholder: the network has errors.
            pub fn summary() -> ::std::string::String {
                ::std::string::String::new()
            }
        }
        #model
    }
}
