use pest::Parser;
fn main() {
    let t = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    match tripline::syntax::TriplineParser::parse(tripline::syntax::Rule::file, &t) {
        Ok(_) => println!("ok"),
        Err(e) => println!("{e}\n{:?}", e.variant),
    }
}
