//! `event_layout!`: an event's layout written once, as the list of its fields in order, each
//! with its type, its JSON form (`json.rs`) and where it is read from. It generates the struct
//! and its `decode`; every read names its field, so a bad felt names it too. Layouts that
//! need more than reading fields (lengths, legacy variants, checks) write `decode` by hand.

macro_rules! event_layout {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($field:ident: $ty:ty as $json:literal = $read:ident($($arg:expr),*)),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        pub struct $name {
            $(#[serde(serialize_with = $json)] pub $field: $ty),+
        }

        impl $name {
            pub fn decode<S: AsRef<str>>(
                r: &super::reader::Reader<S>,
            ) -> Result<Self, super::DecodeError> {
                Ok($name { $($field: r.$read($($arg,)* stringify!($field))?),+ })
            }
        }
    };
}
