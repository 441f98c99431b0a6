fn main() {
    let p = std::env::args().nth(1).unwrap();
    let t = std::fs::read_to_string(p).unwrap();
    match tripline::syntax::parse(&t) {
        Ok(f) => println!("{:#?}", f),
        Err(e) => println!("{:#?}", e),
    }
}
